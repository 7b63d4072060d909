"""Reads coxswain's SunSpec registers with two independent clients: pymodbus (raw registers decoded with the
SunSpec model definitions shipped in pysunspec2) and pysunspec2's own Modbus client (scan + computed values)."""
import json
import os
import sys

import sunspec2
from pymodbus.client import ModbusTcpClient
from sunspec2.modbus.client import SunSpecModbusClientDeviceTCP

host, port = sys.argv[1], int(sys.argv[2])
models_dir = os.path.join(os.path.dirname(sunspec2.__file__), "models", "json")


def points_of(model_id):
    with open(os.path.join(models_dir, f"model_{model_id}.json")) as f:
        return json.load(f)["group"]["points"]


def regs(client, address, count):
    rr = client.read_holding_registers(address, count=count, slave=1)
    if rr.isError():
        return {"exception": rr.exception_code}
    return rr.registers


def decode(points, words):
    raw, off = {}, 0
    for p in points:
        w = words[off : off + p["size"]]
        if p["type"] == "string":
            raw[p["name"]] = b"".join(x.to_bytes(2, "big") for x in w).rstrip(b"\0").decode()
        elif p["size"] == 2:
            raw[p["name"]] = (w[0] << 16) | w[1]
        elif p["type"] in ("int16", "sunssf"):
            raw[p["name"]] = w[0] - 0x10000 if w[0] >= 0x8000 else w[0]
        else:
            raw[p["name"]] = w[0]
        off += p["size"]
    scaled = {}
    for p in points:
        v = raw[p["name"]]
        sf = p.get("sf")
        scaled[p["name"]] = v * 10 ** raw[sf] if isinstance(sf, str) and isinstance(v, int) else v
    return scaled


out = {}
c = ModbusTcpClient(host, port=port)
assert c.connect(), "pymodbus could not connect"
marker = regs(c, 40000, 2)
out["marker"] = b"".join(x.to_bytes(2, "big") for x in marker).decode()
addr, models, model_addr = 40002, {}, {}
while True:
    mid, length = regs(c, addr, 2)
    if mid == 0xFFFF:
        break
    words = regs(c, addr, length + 2)
    model_addr[mid] = addr
    models[str(mid)] = decode(points_of(mid), words)
    addr += length + 2
out["pymodbus"] = models
out["beyond_end"] = regs(c, addr + 2, 1)
out["below_base"] = regs(c, 39990, 4)


def address_of(model_id, name):
    off = 0
    for p in points_of(model_id):
        if p["name"] == name:
            return model_addr[model_id] + off
        off += p["size"]
    raise KeyError(name)


w = c.write_register(address_of(802, "SetOp"), 2, slave=1)
out["write_setop"] = w.exception_code if w.isError() else "ok"
w = c.write_register(address_of(802, "SoC"), 500, slave=1)  # read-only
out["write_soc"] = w.exception_code if w.isError() else "ok"
out["setop_after"] = regs(c, address_of(802, "SetOp"), 1)
c.close()

d = SunSpecModbusClientDeviceTCP(slave_id=1, ipaddr=host, ipport=port)
d.scan()
common, battery = d.common[0], d.battery[0]
out["pysunspec2"] = {
    "Mn": common.Mn.cvalue,
    "Md": common.Md.cvalue,
    "SN": common.SN.cvalue,
    **{k: getattr(battery, k).cvalue for k in ("AHRtg", "WHRtg", "SoC", "SoH", "V", "A", "W", "CellVMax", "CellVMin", "AChaMax", "ADisChaMax", "ChaSt", "State", "Evt1", "VMax", "VMin")},
}
d.close()
json.dump(out, sys.stdout)
