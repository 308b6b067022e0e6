<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Tests;

use SendcloudGate\Gate;
use SendcloudGate\Internal\Runtime as EngineRuntime;
use SendcloudGate\Internal\Snapshot;
use SendcloudGate\WordPress\Early;
use SendcloudGate\WordPress\Prepend;
use SendcloudGate\WordPress\Runtime;
use SendcloudGate\WordPress\Settings;

require_once __DIR__ . '/support/PluginTestCase.php';
require_once __DIR__ . '/support/RecordingResponder.php';

/**
 * The engine snapshot the plugin stores beside the compiled policy (Settings::SNAPSHOT_OPTION): taken on save, used by
 * the request path and the prepend file, renewed on admin_init when it is not the engine's or not of the bytes in
 * force, and never a way around the bytes in force.
 *
 * To see which one a request used, some tests store a canary: a snapshot of a policy that denies Sendcloud's range,
 * relabelled as a snapshot of the bytes in force (with its checksum made anew, which only someone who can write the
 * options can do). A request that starts from it is denied by the rule `canary`; one that loaded the bytes is allowed.
 */
final class SnapshotStorageTest extends PluginTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        EngineRuntime::reset();
    }

    private static function canary(string $bytesInForce): string
    {
        $s = Gate::fromPolicyJson('{"rules":[{"id":"canary","action":"deny","ip":["94.232.247.0/24"]}]}')->snapshot();
        $s['bytes'] = $bytesInForce;
        $s['check'] = Snapshot::checksum($s);
        return base64_encode(serialize($s));
    }

    private static function compiled(): string
    {
        return (string) base64_decode((string) get_option(Settings::COMPILED_OPTION), true);
    }

    /** @return array<string,mixed>|null */
    private static function decideOnRequestPath(): ?array
    {
        Runtime::reset();
        EngineRuntime::reset();   // a new PHP request: the engine starts afresh
        $runtime = new Runtime(self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA), [], new RecordingResponder());
        return $runtime->decision();
    }

    public function testSaveStoresASnapshotOfTheCompiledBytes(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on', 'extra_ips' => '198.51.100.0/24'])['ok']);
        $snapshot = Settings::decodeSnapshot(get_option(Settings::SNAPSHOT_OPTION));
        self::assertIsArray($snapshot);
        self::assertSame(self::compiled(), $snapshot['bytes']);
        self::assertTrue(Gate::isCurrentSnapshot($snapshot));
        // The request path decides as the compiled bytes do.
        $d = self::decideOnRequestPath();
        self::assertSame(['allow', 'partner_match'], [$d['action'], $d['reason']]);
    }

    public function testTheRequestPathStartsFromTheStoredSnapshot(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        update_option(Settings::SNAPSHOT_OPTION, self::canary(self::compiled()));
        $d = self::decideOnRequestPath();
        self::assertSame(['deny', 'canary'], [$d['action'], $d['rule']], 'the snapshot was used');
    }

    public function testASnapshotOfOtherBytesOrDamagedIsIgnoredAndTheBytesInForceDecide(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        $canary = self::canary(self::compiled());
        $other = base64_encode(serialize(Gate::fromPolicyJson('{"rules":[{"id":"canary","action":"deny","ip":["94.232.247.0/24"]}]}')->snapshot()));
        $flipped = Settings::decodeSnapshot($canary);
        $flipped['patches'][0][1] = ~$flipped['patches'][0][1];
        foreach ([
            'a snapshot of an earlier save' => $other,
            'a patch damaged in storage' => base64_encode(serialize($flipped)),
            'cut short' => substr($canary, 0, 200),
            'not base64' => '%%% not base64 %%%',
            'a serialized object' => base64_encode(serialize(new \ArrayObject([1]))),
            'nothing' => '',
        ] as $what => $stored) {
            update_option(Settings::SNAPSHOT_OPTION, $stored);
            $d = self::decideOnRequestPath();
            self::assertSame(['allow', 'sendcloud'], [$d['action'], $d['rule']], $what);
        }
        self::assertSame([], $this->logLines(), 'an unusable snapshot is not an error: the bytes are loaded');
    }

    public function testAdminInitRenewsASnapshotOfAnotherEngineOrOtherBytesAndOnlyThen(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        $current = get_option(Settings::SNAPSHOT_OPTION);
        Settings::refreshSnapshot();
        self::assertSame($current, get_option(Settings::SNAPSHOT_OPTION), 'a current snapshot is kept');

        $old = Settings::decodeSnapshot($current);
        $old['engine'] = str_repeat('0', 32);   // as stored by an earlier version of the plugin
        update_option(Settings::SNAPSHOT_OPTION, base64_encode(serialize($old)));
        Settings::refreshSnapshot();
        $renewed = Settings::decodeSnapshot(get_option(Settings::SNAPSHOT_OPTION));
        self::assertTrue(Gate::isCurrentSnapshot($renewed));
        self::assertSame(self::compiled(), $renewed['bytes']);

        update_option(Settings::SNAPSHOT_OPTION, '');
        Settings::refreshSnapshot();
        self::assertTrue(Gate::isCurrentSnapshot(Settings::decodeSnapshot(get_option(Settings::SNAPSHOT_OPTION))));
        self::assertSame([], $this->logLines());
    }

    public function testThePrependFileCarriesTheSnapshotAndEarlyUsesIt(): void
    {
        self::assertTrue(Settings::save(['mode' => 'on'])['ok']);
        $canary = self::canary(self::compiled());
        $text = Prepend::contents(['mode' => 'on', 'policy' => (string) get_option(Settings::COMPILED_OPTION), 'snapshot' => $canary], '/nowhere/prepend-run.php', '', '.htaccess');
        self::assertStringContainsString(var_export($canary, true), $text);

        Early::reset();
        EngineRuntime::reset();   // a new PHP request
        $responder = new RecordingResponder();
        Early::run(['mode' => 'on', 'policy' => (string) get_option(Settings::COMPILED_OPTION), 'snapshot' => $canary],
            self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA), [], $responder);
        self::assertSame(1, count($responder->blocked), 'the canary snapshot was used before WordPress');

        // A prepend file written before snapshots (no 'snapshot' key) still decides, from the bytes.
        Early::reset();
        EngineRuntime::reset();
        $responder = new RecordingResponder();
        Early::run(['mode' => 'on', 'policy' => (string) get_option(Settings::COMPILED_OPTION)],
            self::server(self::SENDCLOUD_IP, 'PATCH', self::SENDCLOUD_UA), [], $responder);
        self::assertSame([], $responder->blocked);
        Early::reset();
    }
}
