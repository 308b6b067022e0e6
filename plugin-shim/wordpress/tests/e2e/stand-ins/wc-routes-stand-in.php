<?php
/*
 * Plugin Name: TEST STAND-IN for WooCommerce's REST routes (not WooCommerce)
 * Description: Registers wc/v3/orders routes that accept GET, POST, PATCH, DELETE and OPTIONS and echo the method WordPress dispatched, for sendcloud-gate's end-to-end tests. WooCommerce cannot be installed here.
 */
defined('ABSPATH') || exit;

add_action('rest_api_init', static function () {
    $answer = static function (WP_REST_Request $request) {
        return new WP_REST_Response([
            'stand_in' => 'wc/v3',
            'method' => $request->get_method(),
            'route' => $request->get_route(),
        ], 200);
    };
    $methods = ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'];
    register_rest_route('wc/v3', '/orders', ['methods' => $methods, 'callback' => $answer, 'permission_callback' => '__return_true']);
    register_rest_route('wc/v3', '/orders/(?P<id>\d+)', ['methods' => $methods, 'callback' => $answer, 'permission_callback' => '__return_true']);
});
