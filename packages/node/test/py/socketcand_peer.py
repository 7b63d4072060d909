"""python-can's socketcand interface as an independent peer: receive the frames coxswain sends, send our own."""
import json
import sys

import can

host, port, n_expected = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
to_send = json.loads(sys.argv[4])
bus = can.Bus(interface="socketcand", host=host, port=port, channel="can0")
print("ready", flush=True)
received = []
while len(received) < n_expected:
    msg = bus.recv(timeout=5)
    if msg is None:
        break
    received.append({"id": msg.arbitration_id, "ext": msg.is_extended_id, "data": msg.data.hex()})
for f in to_send:
    bus.send(can.Message(arbitration_id=f["id"], is_extended_id=f["ext"], data=bytes.fromhex(f["data"])))
print(json.dumps(received), flush=True)
# Leave time for the last frames to be read before the socket closes.
msg = bus.recv(timeout=1)
bus.shutdown()
