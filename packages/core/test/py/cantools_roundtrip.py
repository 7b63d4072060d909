"""Independent check of coxswain's DBC codec with cantools: decode coxswain's frames, encode the same raw values."""
import json
import sys

import cantools

req = json.load(sys.stdin)
out = []
for dbc in req["dbcs"]:
    db = cantools.database.load_string(dbc["text"], database_format="dbc", strict=dbc.get("strict", False))
    results = []
    for case in dbc["cases"]:
        msg = db.get_message_by_name(case["name"])
        decoded = msg.decode(bytes.fromhex(case["data"]), scaling=False, decode_choices=False)
        encoded = msg.encode(case["raw"], scaling=False, padding=False, strict=False)
        physical = msg.decode(bytes.fromhex(case["data"]), scaling=True, decode_choices=False)
        results.append(
            {
                "decoded": {k: (v if isinstance(v, float) else int(v)) for k, v in decoded.items()},
                "physical": {k: float(v) for k, v in physical.items()},
                "encoded": encoded.hex(),
            }
        )
    out.append(results)
json.dump(out, sys.stdout)
