#!/usr/bin/env python3
"""The management API against its OpenAPI document (issue #14): openapi/manage.yaml is valid OpenAPI 3.1, and
schemathesis (every check but positive_data_acceptance, fixed seed) finds no answer that breaks it: the firm routes
with the sandbox owner's bearer token, the admin routes with an admin's.

The server gets a database of its own (schemathesis revokes keys and changes firms), the sandbox seeded and an
admin made with the CLI. DELETE /sessions/current and DELETE /sessions (sign out everywhere) are left out: they would
end the token the rest of the run uses.

Usage: manage_api_check.py WLCOMM DATABASE_URL  (run with the .venv interpreter: it needs schemathesis and
openapi-spec-validator)
"""
import os
import subprocess
import sys
import tempfile
import urllib.request

import yaml
from openapi_spec_validator import validate

from wltest import Checks, free_port, start_server, stop_server
from console_check import ADMIN, OWNER, http_json

DOCUMENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "openapi", "manage.yaml")  # also served at /api/v1/manage/openapi.yaml
SCHEMATHESIS = os.path.join(os.path.dirname(sys.executable), "schemathesis")
CONFIG = """[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
"""


def run(wlcomm, database_url):
    checks = Checks("management API")
    with open(DOCUMENT) as file:
        document = yaml.safe_load(file)
    try:
        validate(document)
        checks.check("openapi/manage.yaml is valid OpenAPI 3.1", True)
    except Exception as error:  # the validator's own error types vary by version
        checks.check("openapi/manage.yaml is valid OpenAPI 3.1", False, str(error).splitlines()[0])
    with tempfile.TemporaryDirectory() as folder:
        fresh = os.path.join(folder, "manage.yaml")
        subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "manage_openapi.py"), fresh],
                       check=True, capture_output=True)
        with open(fresh) as made, open(DOCUMENT) as committed:
            checks.check("openapi/manage.yaml is what scripts/manage_openapi.py makes now", made.read() == committed.read())
    subprocess.run([wlcomm, "user", "create", "--email", ADMIN[0], "--role", "admin", "--password-stdin"],
                   input=ADMIN[1] + "\n", text=True, check=True, capture_output=True,
                   env=dict(os.environ, WLCOMM_DATABASE_URL=database_url))
    port = free_port()
    limits = {f"WLCOMM_LIMITS_{name}_QUOTA": "1000000" for name in ("SEND", "READ", "AUTH", "SIGN_IN", "CONSOLE", "WEBHOOK_TEST")}
    server = start_server(wlcomm, database_url, port, env={"WLCOMM_CONSOLE_BCRYPT_COST": "4", **limits})
    manage = f"http://127.0.0.1:{port}/api/v1/manage"
    try:
        with urllib.request.urlopen(f"{manage}/openapi.yaml", timeout=10) as response:
            served = response.read().decode()
        with open(DOCUMENT) as file:
            checks.check("the server serves the same document at /api/v1/manage/openapi.yaml", served == file.read())
        tokens = {}
        for role, (email, password) in (("owner", OWNER), ("admin", ADMIN)):
            status, body = http_json(f"{manage}/sessions", "POST", {"email": email, "password": password})
            tokens[role] = body.get("data", {}).get("token", "")
            checks.check(f"the {role} signs in", status == 201 and tokens[role], str(status))
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as config:
            config.write(CONFIG)
        for role, selection in (("owner", ["--exclude-path-regex", "^/admin", "--exclude-path", "/sessions/current",
                                           "--exclude-name", "DELETE /sessions"]),
                                ("admin", ["--include-path-regex", "^/admin"])):
            result = subprocess.run(
                [SCHEMATHESIS, "--config-file", config.name, "run", DOCUMENT, "--url", manage,
                 "-H", f"Authorization: Bearer {tokens[role]}", "--checks", "all", "--exclude-checks", "positive_data_acceptance",
                 *selection, "--max-examples", "30", "--seed", "1", "--no-color"],
                capture_output=True, text=True)
            summary = [line for line in result.stdout.splitlines() if "generated" in line and "Test cases" not in line]
            if result.returncode != 0:
                print(result.stdout[-6000:])
            checks.check(f"schemathesis on the {role}'s routes", result.returncode == 0, summary[-1].strip() if summary else result.stderr[-300:])
        os.unlink(config.name)
    finally:
        stop_server(server)
    checks.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    run(sys.argv[1], sys.argv[2])
