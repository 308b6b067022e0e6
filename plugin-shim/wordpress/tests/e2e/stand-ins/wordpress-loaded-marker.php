<?php
/*
 * Plugin Name: Sendcloud Gate e2e: WordPress-loaded marker (TEST STAND-IN)
 * Description: TEST STAND-IN, not part of the plugin. A must-use plugin that notes the X-SCG-Mark header of each
 * request that got as far as WordPress loading its must-use plugins, in SCG_E2E_DIR/wordpress-loaded.log; copied
 * into wp-content/mu-plugins by prepend.test.mjs and removed afterwards. A request the gate refuses before WordPress
 * (auto_prepend_file mode) never reaches it.
 */
if (isset($_SERVER['HTTP_X_SCG_MARK']) && is_string($_SERVER['HTTP_X_SCG_MARK'])) {
    @file_put_contents(dirname(WP_CONTENT_DIR) . '/wordpress-loaded.log', $_SERVER['HTTP_X_SCG_MARK'] . "\n", FILE_APPEND);
}
