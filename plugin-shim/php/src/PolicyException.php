<?php

namespace SendcloudGate;

/**
 * A policy was rejected: JSON that is not a valid policy (Gate::fromPolicyJson), or bytes that are not a compiled
 * policy (Gate::fromCompiled). The message names the JSON path and the value, for example
 * `rules[1].ip[0]: "10.0.0.0/33" is not an IP range`.
 *
 * \Exception::getLine() is final (it is the PHP line that threw), so the policy's position has its own getters.
 */
class PolicyException extends \InvalidArgumentException
{
    /** @var string */
    private $jsonPath;
    /** @var int */
    private $jsonLine;
    /** @var int */
    private $jsonColumn;

    public function __construct(string $message, string $jsonPath = '', int $jsonLine = 0, int $jsonColumn = 0)
    {
        parent::__construct($message);
        $this->jsonPath = $jsonPath;
        $this->jsonLine = $jsonLine;
        $this->jsonColumn = $jsonColumn;
    }

    /** The JSON path of the offending value (`rules[1].ip[0]`), or '' when none applies (syntax errors, bytes). */
    public function getJsonPath(): string
    {
        return $this->jsonPath;
    }

    /** The 1-based line of the error in the policy text, or 0 when it does not apply. */
    public function getJsonLine(): int
    {
        return $this->jsonLine;
    }

    /** The 1-based column of the error in the policy text, or 0 when it does not apply. */
    public function getJsonColumn(): int
    {
        return $this->jsonColumn;
    }
}
