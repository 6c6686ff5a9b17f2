//! The diagnostic codes the runtime reports: webhook answers (`claw::hook::*`, the
//! `error` field of a problem response) and runtime errors (`claw::runtime::*`), each
//! documented in the runtime section of docs/diagnostics.md.

claw_language::diagnostic_codes! {
    /// A webhook body not sent as JSON (or, with `body: any`, neither JSON nor a form).
    HOOK_CONTENT_TYPE = "claw::hook::content_type", Error,
        "a webhook delivery's Content-Type is not application/json (415); with `body: any`, neither JSON nor a form",
        "send the payload with `Content-Type: application/json` (or, with `body: any`, as a form)";
    /// A webhook body that does not parse.
    HOOK_BAD_JSON = "claw::hook::bad_json", Error,
        "a webhook body is not valid JSON (400)",
        "send a valid JSON document as the body";
    /// The trigger's idempotency expression failed on the payload.
    HOOK_IDEMPOTENCY = "claw::hook::idempotency", Error,
        "the trigger's idempotency expression failed or gave null on this payload (422)",
        "send the field the idempotency expression reads, or fix the expression";
    /// The runtime is draining.
    HOOK_DRAINING = "claw::hook::draining", Error,
        "the runtime is shutting down and accepts no new work (503)",
        "retry the delivery later";
    /// No such system, webhook or trigger.
    HOOK_UNKNOWN = "claw::hook::unknown", Error,
        "no loaded system, webhook path or trigger by that name (404)",
        "check the URL against the system's `triggers`";
    /// The run could not be stored.
    HOOK_STORE = "claw::hook::store", Error,
        "the event store refused the delivery; nothing was accepted (500)",
        "check the database (the runtime log has the cause) and retry";
    /// The hook's signature key is not configured.
    HOOK_NO_KEY = "claw::hook::no_key", Error,
        "the webhook's HMAC key secret is not configured, so deliveries are refused (503)",
        "set the secret named by `auth.hmac_sha256` (CLAW_SECRET_<NAME> or --secrets)";
    /// A wrong or missing HMAC signature.
    HOOK_SIGNATURE = "claw::hook::signature", Error,
        "a delivery's HMAC-SHA256 signature header is missing or wrong (401)",
        "sign the body with the shared key in the configured header";
    /// A payload given to a runtime command is not JSON.
    BAD_JSON = "claw::runtime::bad_json", Error,
        "a `--payload` or a backfill line is not JSON, e.g. `events.jsonl:3:7: expected value`",
        "fix the JSON at the line and column shown";
    /// Another `claw run` holds the database.
    DB_IN_USE = "claw::runtime::db_in_use", Error,
        "another `claw run` holds this database (named by host, pid and start time), so this one refuses to start",
        "stop the other runtime first, or give this one a database of its own";
    /// A `for_each` expression that does not give a list.
    LOOP_NOT_A_LIST = "claw::runtime::loop_not_a_list", Error,
        "a `for_each` expression gave something other than a list (or failed); the step fails without running any item",
        "make the expression give a list, e.g. `steps.split.output.items`";
    /// A `for_each` list over the step's cap.
    LOOP_TOO_MANY_ITEMS = "claw::runtime::loop_too_many_items", Error,
        "a `for_each` list is longer than the step's `max_items` (default 500, Zapier's cap); the step fails without running any item",
        "raise `max_items` (at most 1000), or split the list upstream";
    /// A TypeScript policy that cannot be used.
    TYPESCRIPT = "claw::runtime::typescript", Error,
        "a `.ts` policy does not parse, or claw was built without the `typescript` feature",
        "fix the TypeScript at the position shown, or compile the policy to .js";
    /// A `code.python` step ran where no Python interpreter is found.
    PYTHON_MISSING = "claw::runtime::python_missing", Error,
        "a `code.python` step ran but no Python interpreter was found (CLAW_PYTHON, /usr/bin/python3, python3 on PATH); the step fails without retrying",
        "install python3 (Debian: `apt-get install python3`) or set CLAW_PYTHON to the interpreter's path, then retry the run from the dead letter queue";
}
