<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Admin;

use SendcloudGate\WordPress\Loader;

/**
 * The admin notice when the must-use loader is missing or outdated (the gate then runs only when the plugin loads,
 * after security plugins that may already have blocked), with a button that reinstalls it. Shown only to users who
 * can manage options (on a network: the network's, since the loader runs for every site); the button's action checks
 * the capability and its nonce.
 */
final class Notice
{
    public const ACTION = 'sendcloud_gate_reinstall_loader';
    public const RESULT_ARG = 'sendcloud_gate_loader';

    /** admin_notices */
    public static function render(): void
    {
        echo self::html(); // phpcs:ignore WordPress.Security.EscapeOutput -- html() escapes every value
    }

    /** The notice for the current user and loader state ('' when there is nothing to say or the user may not act). */
    public static function html(?string $state = null): string
    {
        if (!current_user_can(Page::CAP) || !current_user_can(Page::serverCap())) {
            return '';
        }
        $o = '';
        $result = isset($_GET[self::RESULT_ARG]) && is_string($_GET[self::RESULT_ARG]) ? $_GET[self::RESULT_ARG] : '';
        if ($result === 'installed') {
            $o .= '<div class="notice notice-success is-dismissible"><p>' . esc_html__('Sendcloud Gate: the must-use loader is installed; the gate runs before other plugins from the next request on.', 'sendcloud-gate') . '</p></div>';
        }
        $state = $state ?? Loader::state();
        if ($state === 'current') {
            return $o;
        }
        $o .= '<div class="notice notice-warning" id="sendcloud-gate-loader-notice"><p><strong>' . esc_html__('Sendcloud Gate', 'sendcloud-gate') . '</strong>: ';
        $o .= $state === 'missing'
            ? esc_html__('its must-use loader is missing, so the gate runs only when the plugin loads — after security plugins that may already have blocked Sendcloud.', 'sendcloud-gate')
            : esc_html__('its must-use loader is outdated (from another version or another location of the plugin).', 'sendcloud-gate');
        if ($result === 'failed') {
            $o .= ' ' . sprintf(
                /* translators: %s: a directory */
                esc_html__('Reinstalling failed: WordPress cannot write to %s. Ask your host to make it writable, or copy the file there by hand.', 'sendcloud-gate'),
                '<code>' . esc_html(dirname(Loader::path())) . '</code>'
            );
        }
        $o .= '</p><p>' . self::reinstallButton() . '</p></div>';
        return $o;
    }

    /** The reinstall button: a form to admin-post.php with the action's nonce. */
    public static function reinstallButton(): string
    {
        return '<form method="post" action="' . esc_url(admin_url('admin-post.php')) . '" style="display:inline">'
            . '<input type="hidden" name="action" value="' . esc_attr(self::ACTION) . '" />'
            . wp_nonce_field(self::ACTION, '_wpnonce', true, false)
            . '<button type="submit" class="button" id="sendcloud-gate-reinstall-loader">' . esc_html__('Reinstall the loader', 'sendcloud-gate') . '</button></form>';
    }

    /** admin_post_{ACTION} (WordPress calls it with an empty string: no parameter here). */
    public static function handleReinstall(): void
    {
        self::reinstall();
        exit;
    }

    /**
     * The capability and the nonce, then the loader; redirects back to where the button was.
     *
     * @return string the URL redirected to
     */
    public static function reinstall(): string
    {
        if (!current_user_can(Page::CAP) || !current_user_can(Page::serverCap())) {
            wp_die(esc_html__('Sorry, you are not allowed to manage Sendcloud Gate.', 'sendcloud-gate'));
        }
        check_admin_referer(self::ACTION);
        $ok = Loader::install();
        if (!$ok) {
            error_log('sendcloud-gate: the must-use loader could not be written to ' . dirname(Loader::path()));
        }
        $back = wp_get_referer();
        $url = add_query_arg([self::RESULT_ARG => $ok ? 'installed' : 'failed'], is_string($back) && $back !== '' ? $back : Page::url());
        wp_safe_redirect($url);
        return $url;
    }
}
