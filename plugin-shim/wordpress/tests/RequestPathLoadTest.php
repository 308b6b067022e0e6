<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\WordPress\Runtime;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/PluginTestCase.php';
require_once __DIR__ . '/support/RecordingResponder.php';

/** What the request path loads for an ordinary page view: not the decision log, not the adapters. */
final class RequestPathLoadTest extends PluginTestCase
{
    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testAPageViewLoadsNeitherTheLogNorTheAdapters(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        $runtime = new Runtime(self::server('198.51.100.1', 'GET', 'Mozilla/5.0', '/shop/'), [], new RecordingResponder());
        $runtime->enforce();
        self::assertSame(['pass', 'no_match'], [$runtime->decision()['action'], $runtime->decision()['reason']]);
        self::assertFalse(class_exists(\SendcloudGate\WordPress\Log\DecisionLog::class, false));
        self::assertFalse(class_exists(\SendcloudGate\WordPress\Adapters\Registry::class, false));
    }
}
