#!/usr/bin/env python3
"""Seed 001's NodeMCU LED board, simulated: subscribes to /alert and shows RED for 1, GREEN for 0.

    python3 examples/pot-alert/led-controller.py --host localhost --username led --password ...

Debian: apt install python3-paho-mqtt. The password may also come from LED_PASSWORD.
"""
import argparse
import os
import sys

import paho.mqtt.client as mqtt


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="localhost")
    p.add_argument("--port", type=int, default=1883)
    p.add_argument("--username", default="led")
    p.add_argument("--password", default=os.environ.get("LED_PASSWORD"))
    p.add_argument("--topic", default="/alert")
    p.add_argument("--count", type=int, default=0, help="exit after this many state changes (0: never)")
    args = p.parse_args()
    if not args.password:
        print("give --password or set LED_PASSWORD", file=sys.stderr)
        return 2

    seen = {"n": 0}

    def on_connect(client, _userdata, _flags, reason_code, _properties=None):
        if reason_code != 0:
            print(f"connect refused: {reason_code}", file=sys.stderr)
            client.disconnect()
            return
        client.subscribe(args.topic, qos=1)

    def on_message(client, _userdata, msg):
        state = msg.payload.decode("utf-8", "replace").strip()
        light = {"1": "RED", "0": "GREEN"}.get(state, f"UNKNOWN ({state!r})")
        retained = " (retained)" if msg.retain else ""
        print(f"LED {light}{retained}", flush=True)
        seen["n"] += 1
        if args.count and seen["n"] >= args.count:
            client.disconnect()

    try:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="led-controller")
    except AttributeError:  # paho-mqtt 1.x
        client = mqtt.Client(client_id="led-controller")
    client.username_pw_set(args.username, args.password)
    client.on_connect = on_connect
    client.on_message = on_message
    client.connect(args.host, args.port)
    client.loop_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
