<?php

declare(strict_types=1);

namespace SendcloudGate\WordPress\Adapters;

/**
 * What the gate does with one security plugin when the library's decision is `allow` (in mode `on`): let *this
 * request* through by that plugin's own mechanism, for this request only. An adapter holds no decision logic: it is
 * given the library's decision and acts on it. Each adapter's docblock names the plugin version whose source it was
 * checked against.
 */
interface Adapter
{
    /** True when the security plugin is active on this site (read from the active plugins, so it works before plugins load). */
    public function detect(): bool;

    /** The security plugin's name as merchants know it. */
    public function name(): string;

    /** One or two sentences for the status page: what the gate does with this plugin, in plain words. */
    public function whatItDoes(): string;

    /**
     * Acts on an `allow` decision for the current request (called from the must-use loader, before ordinary plugins
     * load, so it registers hooks rather than calling the plugin). Must not throw.
     *
     * @param array<string,mixed> $decision as Gate::decide() returns it
     */
    public function apply(array $decision): void;
}
