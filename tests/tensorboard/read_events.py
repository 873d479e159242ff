#!/usr/bin/env python3
"""Reads a log folder written by ae-tensorboard with TensorBoard's own code and checks it.

    python3 tests/tensorboard/read_events.py LOGDIR EXPECTED.json

LOGDIR is what `tensorboard --logdir` would be given; EXPECTED.json (written by
crates/ae-tensorboard/tests/tensorboard_reads.rs) names the run and what it should hold:
scalars, images, texts, hparams, the session's end and a projector embedding. Checked with

- `EventAccumulator` (tensorboard.backend.event_processing.event_accumulator): the values of
  every event, as written;
- the multiplexer data provider, which the dashboards query (after TensorBoard's migration of
  old-style values to tensors, `data_compat` / `dataclass_compat`);
- the hparams plugin's metadata parsers, and its `/experiment` route, which builds the
  HParams dashboard's table from the runs;
- the projector plugin's `/runs`, `/tensor`, `/metadata` and `/sprite_image` routes, after
  `projector_config.pbtxt` parses as a `ProjectorConfig` (protobuf text format);
- the `tensorboard` server itself (`--load_fast=true`: the Rust data server that
  `tensorboard --logdir` uses by default), over HTTP: scalars, image, text and projector runs,
  the HParams experiment.

Prints what was read, then "all checks passed"; exits non-zero at the first mismatch.
"""

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
from google.protobuf import text_format
from tensorboard import context
from tensorboard.backend.event_processing import data_provider as provider_lib
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins import base_plugin
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import hparams_plugin
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.projector import projector_config_pb2
from tensorboard.plugins.projector import projector_plugin
from werkzeug import test as werkzeug_test
from werkzeug import wrappers

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check(condition, message):
    if not condition:
        print("FAILED: " + message)
        sys.exit(1)


def f32(x):
    return float(np.float32(x))


def value_of(v):
    """A google.protobuf.Value as a Python value."""
    kind = v.WhichOneof("kind")
    return getattr(v, kind) if kind else None


def read_accumulator(run_dir, expected):
    acc = EventAccumulator(
        run_dir,
        size_guidance={"scalars": 0, "images": 0, "tensors": 0},
    )
    acc.Reload()
    tags = acc.Tags()
    print("EventAccumulator tags:", {k: v for k, v in tags.items() if v})

    for tag, points in expected["scalars"].items():
        got = [(e.step, e.value) for e in acc.Scalars(tag)]
        want = [(step, f32(v)) for step, v in points]
        print(f"scalar {tag}: {got}")
        check(got == want, f"scalar {tag}: read {got}, expected {want}")

    for tag, image in expected["images"].items():
        events = acc.Images(tag)
        check(len(events) == 1, f"image {tag}: {len(events)} events")
        e = events[0]
        print(
            f"image {tag}: step {e.step}, {e.width}x{e.height}, "
            f"{len(e.encoded_image_string)} PNG bytes"
        )
        check(
            (e.step, e.width, e.height) == (image["step"], image["width"], image["height"]),
            f"image {tag}: step/size {(e.step, e.width, e.height)}, expected {image}",
        )
        check(
            e.encoded_image_string.startswith(PNG_SIGNATURE)
            and len(e.encoded_image_string) == image["bytes"],
            f"image {tag}: not the PNG written",
        )

    for tag, text in expected["texts"].items():
        events = acc.Tensors(tag)
        check(len(events) == 1, f"text {tag}: {len(events)} events")
        got = events[0].tensor_proto.string_val[0].decode("utf-8")
        print(f"text {tag}: {got!r}")
        check(got == text, f"text {tag}: read {got!r}, expected {text!r}")
    check(
        set(expected["texts"]) <= set(acc.PluginTagToContent("text")),
        "texts lack the text plugin's metadata",
    )

    content = acc.PluginTagToContent(hparams_metadata.PLUGIN_NAME)
    print("hparams plugin tags:", sorted(content))
    start = hparams_metadata.parse_session_start_info_plugin_data(
        content[hparams_metadata.SESSION_START_INFO_TAG]
    )
    hparams = {k: value_of(v) for k, v in start.hparams.items()}
    print("session_start_info hparams:", hparams)
    check(hparams == expected["hparams"], f"hparams {hparams}, expected {expected['hparams']}")
    end = hparams_metadata.parse_session_end_info_plugin_data(
        content[hparams_metadata.SESSION_END_INFO_TAG]
    )
    status = api_pb2.Status.Name(end.status)
    print("session_end_info status:", status)
    check(status == expected["session_end_status"], f"status {status}")


def read_data_provider(logdir, expected):
    """What the dashboards get: the multiplexer's data provider."""
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    provider = provider_lib.MultiplexerDataProvider(multiplexer, logdir)
    ctx = context.RequestContext()
    run = expected["run"]
    runs = [r.run_name for r in provider.list_runs(ctx, experiment_id="")]
    print("data provider runs:", runs)
    check(run in runs, f"run {run} not in {runs}")

    scalars = provider.read_scalars(
        ctx, experiment_id="", plugin_name="scalars", downsample=1000
    )[run]
    for tag, points in expected["scalars"].items():
        got = [(d.step, d.value) for d in scalars[tag]]
        check(got == [(s, f32(v)) for s, v in points], f"provider scalar {tag}: {got}")
    images = provider.list_blob_sequences(ctx, experiment_id="", plugin_name="images")
    print("data provider images:", sorted(images[run]))
    check(set(expected["images"]) <= set(images[run]), "provider lacks the images")
    texts = provider.list_tensors(ctx, experiment_id="", plugin_name="text")
    check(set(expected["texts"]) <= set(texts[run]), "provider lacks the texts")
    return multiplexer, provider


def call(app, url):
    response = werkzeug_test.Client(app, wrappers.Response).get(url)
    return response.status_code, response.get_data()


def read_hparams_plugin(logdir, provider, expected):
    plugin = hparams_plugin.HParamsPlugin(
        base_plugin.TBContext(logdir=logdir, data_provider=provider)
    )
    app = plugin.get_plugin_apps()["/experiment"]
    client = werkzeug_test.Client(app, wrappers.Response)
    response = client.post("/experiment", data=json.dumps({"experimentName": ""}))
    check(response.status_code == 200, f"/experiment: {response.status_code} {response.get_data()}")
    experiment = json.loads(response.get_data())
    names = sorted(h["name"] for h in experiment.get("hparamInfos", []))
    metrics = sorted(m["name"]["tag"] for m in experiment.get("metricInfos", []))
    print("hparams plugin experiment: hparams", names, "metrics", metrics)
    check(names == sorted(expected["hparams"]), f"experiment hparams {names}")
    check(set(expected["scalars"]) <= set(metrics), f"experiment metrics {metrics}")


def read_projector(logdir, provider, expected):
    run_dir = os.path.join(logdir, expected["run"])
    want = expected["projector"]
    config = projector_config_pb2.ProjectorConfig()
    with open(os.path.join(run_dir, "projector_config.pbtxt")) as f:
        text_format.Parse(f.read(), config)
    check(len(config.embeddings) == 1, f"{len(config.embeddings)} embeddings")
    embedding = config.embeddings[0]
    print("projector_config.pbtxt:", text_format.MessageToString(embedding, as_one_line=True))
    check(embedding.tensor_name == want["tensor_name"], "tensor name")
    check(list(embedding.sprite.single_image_dim) == want["tile"], "sprite tile size")

    tensors = np.loadtxt(os.path.join(run_dir, embedding.tensor_path), delimiter="\t", ndmin=2)
    with open(os.path.join(run_dir, embedding.metadata_path)) as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    print(f"tensors.tsv: {tensors.shape}; metadata.tsv: {len(rows)} lines, header {rows[0]}")
    check(tensors.shape == (want["points"], want["dim"]), f"tensors shape {tensors.shape}")
    check(rows[0] == want["header"] and rows[1] == want["first_row"], f"metadata {rows[:2]}")
    check(len(rows) == want["points"] + 1, "metadata rows")

    plugin = projector_plugin.ProjectorPlugin(
        base_plugin.TBContext(logdir=logdir, data_provider=provider)
    )
    apps = plugin.get_plugin_apps()
    run = expected["run"]
    status, body = call(apps["/runs"], "/runs")
    print("projector /runs:", body.decode())
    check(status == 200 and run in json.loads(body), f"projector runs: {body!r}")
    name = want["tensor_name"]
    query = f"?run={run}&name={name}"
    status, body = call(apps["/tensor"], "/tensor" + query)
    check(status == 200, f"/tensor: {status} {body[:200]!r}")
    served = np.frombuffer(body, dtype=np.float32).reshape(want["points"], want["dim"])
    print("projector /tensor:", served.shape, "first point", served[0].tolist())
    check(
        served[0].tolist() == [f32(v) for v in want["first_vector"]],
        f"first point {served[0].tolist()}",
    )
    status, body = call(apps["/metadata"], "/metadata" + query)
    check(status == 200 and body.decode().splitlines()[0].split("\t") == want["header"], "/metadata")
    status, body = call(apps["/sprite_image"], "/sprite_image" + query)
    print("projector /sprite_image:", status, len(body), "bytes")
    check(status == 200 and body.startswith(PNG_SIGNATURE), "/sprite_image")


def read_server(logdir, expected, timeout=90):
    """Starts `tensorboard --logdir LOGDIR --port 0 --load_fast=true` and queries it."""
    command = [
        sys.executable, "-m", "tensorboard.main", "--logdir", logdir, "--port", "0",
        "--load_fast=true", "--reload_interval", "1",
    ]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in server.stderr], daemon=True
    ).start()
    deadline = time.time() + timeout
    try:
        url = None
        log = []
        while url is None and time.time() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                check(server.poll() is None, "tensorboard exited: " + "".join(log))
                continue
            log.append(line)
            found = re.search(r"(http://[^/ ]+:\d+)/", line)
            url = found.group(1) if found else None
        check(url is not None, "tensorboard did not start: " + "".join(log))

        def get(path, data=None):
            request = urllib.request.Request(url + path, data=data)
            if data is not None:
                request.add_header("Content-Type", "application/json")
            with urllib.request.urlopen(request, timeout=20) as response:
                return json.loads(response.read())

        run = expected["run"]
        tag, points = next(iter(expected["scalars"].items()))
        query = urllib.parse.urlencode({"run": run, "tag": tag})
        want = [(step, f32(v)) for step, v in points]
        got = None
        while time.time() < deadline:  # the data server loads the logdir in the background
            try:
                got = [(step, value) for _, step, value in get("/data/plugin/scalars/scalars?" + query)]
            except urllib.error.HTTPError:
                got = None
            if got == want:
                break
            time.sleep(0.5)
        print(f"server {url}: scalars {tag}: {got}")
        check(got == want, f"server scalars {tag}: {got}, expected {want}")
        images = get("/data/plugin/images/tags")[run]
        texts = get("/data/plugin/text/tags")[run]
        projector_runs = get("/data/plugin/projector/runs") if "projector" in expected else []
        experiment = get("/data/plugin/hparams/experiment", json.dumps({"experimentName": ""}).encode())
        hparams = sorted(h["name"] for h in experiment.get("hparamInfos", []))
        print(f"server: images {sorted(images)}, texts {sorted(texts)}, projector runs "
              f"{projector_runs}, hparams {hparams}")
        check(set(expected["images"]) <= set(images), "server images")
        check(set(expected["texts"]) <= set(texts), "server texts")
        check("projector" not in expected or run in projector_runs, "server projector runs")
        check(hparams == sorted(expected["hparams"]), f"server hparams {hparams}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def main():
    logdir, expected_path = sys.argv[1], sys.argv[2]
    with open(expected_path) as f:
        expected = json.load(f)
    read_accumulator(os.path.join(logdir, expected["run"]), expected)
    _, provider = read_data_provider(logdir, expected)
    read_hparams_plugin(logdir, provider, expected)
    if "projector" in expected:
        read_projector(logdir, provider, expected)
    read_server(logdir, expected)
    print("all checks passed")


if __name__ == "__main__":
    main()
