<?php

namespace SendcloudGate;

/**
 * The engine could not be set up: a 32-bit PHP build, missing generated files (run `make php`), or a failure
 * inside the engine while building a Gate. Thrown only by the Gate factories, never by decide(), decideRequest()
 * or explain(), which answer `pass` / `engine_error` instead.
 */
class EngineException extends \RuntimeException
{
}
