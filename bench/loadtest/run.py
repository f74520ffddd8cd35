#!/usr/bin/env python3
"""Side-by-side load test: the SDK's bare template server vs. the same tool as an McpServices service, governed and ungoverned.

Started by bench/run.sh, which builds the servers and installs wrk and nginx. Everything runs on 127.0.0.1.

For each server: start-to-first-call time (cold starts), resident memory after warm-up, then interleaved wrk rounds
(so background load on the machine hits all servers alike) reporting requests/s and p50/p99 latency; the median round counts.
The governed server writes its audit trail to a file; after a graceful stop the records are counted against the requests the
server answered and the chain is verified with --verify-audit.
"""

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

import cpuprofile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.path.join(REPO, "artifacts", "bin")
ISSUER = "https://issuer.bench.local"
SCOPE = "quotes:read"
CALL = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_quote","arguments":{"sku":"HAM-0001","quantity":3}}}'
EXPECTED = "3 x HAM-0001 = 37.50 EUR"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_token(key_file, audience):
    """An RS256 access token as an OpenID Connect provider issues it for this resource (signed with openssl)."""
    header = b64url(json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": "bench"}).encode())
    now = int(time.time())
    payload = b64url(json.dumps({
        "iss": ISSUER, "aud": audience, "sub": "bench-agent", "client_id": "bench-agent",
        "scope": SCOPE, "iat": now, "nbf": now, "exp": now + 3 * 3600, "jti": b64url(os.urandom(12)),
    }).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_file], input=signing_input, capture_output=True, check=True).stdout
    return f"{header}.{payload}.{b64url(signature)}"


class Server:
    def __init__(self, name, label, dll, env, work, path="/mcp"):
        self.name, self.label, self.dll, self.env, self.work = name, label, dll, env, work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self.token = ""
        self.process = None
        self.rounds = []
        self.single_rounds = []
        self.starts = []
        self.rss_mb = None
        self.requests_answered = 0

    def environment(self):
        env = dict(os.environ)
        env.update({
            "ASPNETCORE_URLS": f"http://127.0.0.1:{self.port}",
            "ASPNETCORE_ENVIRONMENT": "Production",
            # The template has no appsettings.json and would log every request at Information; every server logs warnings only.
            "Logging__LogLevel__Default": "Warning",
        })
        env.update(self.env)
        return env

    def start(self):
        started = time.perf_counter()
        log = open(os.path.join(self.work, f"{self.name}.log"), "ab")
        self.process = subprocess.Popen(["dotnet", self.dll], cwd=os.path.dirname(self.dll), env=self.environment(), stdout=log, stderr=log)
        deadline = started + 60
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {log.name}")
            try:
                body = self.call()
                if EXPECTED in body:
                    elapsed = time.perf_counter() - started
                    self.requests_answered += 1
                    return elapsed
                raise RuntimeError(f"{self.name}: unexpected answer {body[:300]}")
            except urllib.error.HTTPError as error:
                raise RuntimeError(f"{self.name}: HTTP {error.code} {error.read()[:300]!r}") from error
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.01)
        raise RuntimeError(f"{self.name} did not answer within 60 s")

    def call(self):
        request = urllib.request.Request(self.url, data=CALL, method="POST", headers={
            "Content-Type": "application/json", "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25",
            **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
        })
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read().decode()

    def cpu_seconds(self):
        """CPU time the server process has used so far (all threads, user + system)."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return None

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode if self.process else None
        self.process = None
        return code


def wrk(server, duration, threads, connections, latency=True):
    env = dict(os.environ, BENCH_TOKEN=server.token)
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "-s", os.path.join(HERE, "call.lua")]
    if latency:
        args.append("--latency")
    cpu_before = server.cpu_seconds()
    out = subprocess.run(args + [server.url], env=env, capture_output=True, text=True, check=True).stdout
    cpu = server.cpu_seconds() - cpu_before
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    result = {
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else None,
        # The server's own CPU time per answered call: wrk shares the cores, so this is the figure that capacity scales with.
        "cpu_us_per_call": round(cpu / max(requests, 1) * 1e6, 1),
    }
    if latency:
        result["p50_ms"] = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
        result["p99_ms"] = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    server.requests_answered += requests
    return result


def to_ms(value):
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main():
    parser = argparse.ArgumentParser()
    # Many short interleaved rounds: this machine's speed drifts by up to 30 % within minutes, and the servers are compared
    # round by round (each round's ratio to the bare server), so the less time between a server's run and bare's, the better.
    parser.add_argument("--duration", type=int, default=8, help="seconds per measured round")
    parser.add_argument("--rounds", type=int, default=6)
    # Tiered compilation (with dynamic PGO) keeps recompiling hot methods for about 20 s under this load; shorter warm-ups
    # measure the JIT, not the server.
    parser.add_argument("--warmup", type=int, default=25)
    parser.add_argument("--single-rounds", type=int, default=3,
                        help="interleaved rounds with one connection (one caller's sequential calls: latency without queueing)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--starts", type=int, default=3, help="cold starts per server for start-to-first-call")
    parser.add_argument("--otlp", default="", help="OTLP/HTTP endpoint for the governed server's traces and metrics")
    parser.add_argument("--output", required=True, help="folder for results.json and results.md")
    parser.add_argument("--breakdown", action="store_true", help="also run McpServices with one governance feature at a time")
    parser.add_argument("--pairs", action="store_true", help="also run McpServices with two governance features at a time")
    parser.add_argument("--only", default="", help="comma-separated server names to run (bare is always run: it is the reference)")
    parser.add_argument("--profile", default="", help="comma-separated server names (bare,governed,off,...) to sample with perf "
                        "after the measured rounds: CPU per call by part of the stack")
    options = parser.parse_args()

    work = tempfile.mkdtemp(prefix="mcps-bench-")
    key = os.path.join(work, "issuer.key")
    public = os.path.join(work, "issuer.pub")
    subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True, capture_output=True)
    subprocess.run(["openssl", "rsa", "-in", key, "-pubout", "-out", public], check=True, capture_output=True)
    audit = os.path.join(work, "audit.jsonl")

    governed_dll = os.path.join(BIN, "Governed", "release", "Governed.dll")
    servers = [
        Server("bare", "1. SDK template server (bare)", os.path.join(BIN, "BareSdk", "release", "BareSdk.dll"), {}, work, path="/"),
        Server("governed", "2. McpServices, governance on", governed_dll, {
            "Bench__IssuerKeyFile": public,
            "Bench__Issuer": ISSUER,
            "McpService__Audit__FilePath": audit,
            "McpService__Audit__FileMaxFiles": "1000",
            **({"OTEL_EXPORTER_OTLP_ENDPOINT": options.otlp, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL": "5000"} if options.otlp else {}),
        }, work),
        Server("off", "3. McpServices, governance off", governed_dll, {
            "McpService__Authentication__Enabled": "false",
            "McpService__Authentication__AcknowledgeUnauthenticated": "true",
            "McpService__Audit__Enabled": "false",
            "McpService__Audit__AcknowledgeDisabled": "true",
            "McpService__Telemetry__Enabled": "false",
        }, work),
    ]
    # The governance features as environment settings, to switch them on and off one or two at a time.
    jwt = {k: v for k, v in servers[1].env.items() if k.startswith("Bench__")}
    otlp = {k: v for k, v in servers[1].env.items() if k.startswith("OTEL_")}
    auth_off = {k: v for k, v in servers[2].env.items() if k.startswith("McpService__Authentication")}
    audit_off = {k: v for k, v in servers[2].env.items() if k.startswith("McpService__Audit")}
    telemetry_off = {"McpService__Telemetry__Enabled": "false"}
    def audit_to(suffix):
        return {"McpService__Audit__FilePath": f"{audit}.{suffix}"}

    if options.breakdown:
        servers += [
            Server("auth-only", "3a. governance off + JWT and scope", governed_dll, {**jwt, **audit_off, **telemetry_off}, work),
            Server("audit-only", "3b. governance off + audit to a file", governed_dll, {**auth_off, **audit_to("only"), **telemetry_off}, work),
            Server("telemetry-only", "3c. governance off + OpenTelemetry export", governed_dll, {**auth_off, **audit_off, **otlp}, work),
            Server("governed-sampled", "2b. governance on, 10 % of traces sampled", governed_dll, {**servers[1].env, **audit_to("sampled"),
                   "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}, work),
            # Every span still exported, in batches of 64 instead of the OpenTelemetry SDK's 512: shorter pauses for the
            # calls that arrive while the exporter encodes and posts a batch, against more posts.
            Server("governed-batches", "2c. governance on, spans exported in batches of 64", governed_dll, {**servers[1].env, **audit_to("batches"),
                   "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "64"}, work),
        ]

    if options.pairs:
        servers += [
            Server("auth-audit", "4a. JWT and scope + audit (no OpenTelemetry)", governed_dll, {**jwt, **audit_to("pair1"), **telemetry_off}, work),
            Server("auth-telemetry", "4b. JWT and scope + OpenTelemetry (no audit)", governed_dll, {**jwt, **audit_off, **otlp}, work),
            Server("audit-telemetry", "4c. audit + OpenTelemetry (no authentication)", governed_dll, {**auth_off, **audit_to("pair2"), **otlp}, work),
        ]

    # Every server that authenticates gets a token for its own resource URL (the audience it checks).
    for server in servers:
        if "Bench__IssuerKeyFile" in server.env:
            server.token = mint_token(key, server.url)
            # As a deployment does (the generated manifests set it): the resource URL, not the caller's Host header.
            server.env["McpService__Authentication__Resource"] = server.url

    governed = servers[1]
    if options.only:
        wanted = set(options.only.split(",")) | {"bare", "governed"}
        servers = [server for server in servers if server.name in wanted]
    profiled = [server for server in servers if server.name in options.profile.split(",")]
    for server in profiled:
        # Lets perf name JIT-compiled methods (a perf map file per process; no double-mapped code pages).
        server.env.update({"DOTNET_PerfMapEnabled": "1", "DOTNET_EnableWriteXorExecute": "0"})

    profiles = {}
    try:
        # Cold starts: process start to the first successful tools/call.
        for _ in range(options.starts):
            for server in servers:
                server.starts.append(server.start())
                server.stop()
        # The cold starts' audit records are not part of the load test.
        for leftover in os.listdir(work):
            if leftover.startswith(os.path.basename(audit)):
                os.remove(os.path.join(work, leftover))
        for server in servers:
            server.requests_answered = 0
            server.start()

        for server in servers:
            wrk(server, options.warmup, options.threads, options.connections, latency=False)
            server.rss_mb = server.rss()

        for _ in range(options.rounds):
            for server in servers:
                server.rounds.append(wrk(server, options.duration, options.threads, options.connections))

        # One caller making sequential calls: the latency a call sees when the server is not saturated (no queueing behind
        # other requests), so the difference to bare is the time governance adds to a call.
        for _ in range(options.single_rounds):
            for server in servers:
                server.single_rounds.append(wrk(server, max(options.duration // 2, 4), 1, 1))

        for server in profiled:
            data = os.path.join(work, f"{server.name}.perf.data")
            seconds = max(options.duration, 15)
            recorder = cpuprofile.start(server.process.pid, seconds - 2, data)
            measured = wrk(server, seconds, options.threads, options.connections, latency=False)
            recorder.wait()
            shares, sdk = cpuprofile.report(data)
            profiles[server.name] = {"cpu_us_per_call": measured["cpu_us_per_call"], "rps": measured["rps"],
                                     "parts_us": {part: round(share * measured["cpu_us_per_call"], 1) for part, share in shares.items()},
                                     "sdk_share": {part: round(share, 3) for part, share in sdk.items()}}
    finally:
        codes = {server.name: server.stop() for server in servers}

    # The audit trail at full load: one record per call the server answered (wrk does not count calls still in flight when
    # it stops, so the trail may hold up to one per connection more), every record "succeeded" (or "cancelled" for a call whose
    # connection wrk closed), and the chain intact.
    # The file sink rotates at 100 MiB: audit.jsonl.N (oldest) … audit.jsonl.1, then audit.jsonl.
    rotated = sorted((f for f in os.listdir(work) if re.fullmatch(r"audit\.jsonl\.\d+", f)), key=lambda f: -int(f.rsplit(".", 1)[1]))
    files = [os.path.join(work, f) for f in rotated] + ([audit] if os.path.exists(audit) else [])
    lines = [line for f in files for line in open(f).read().splitlines()]
    outcomes = {}
    for line in lines:
        outcome = json.loads(line)["outcome"]
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    verify = subprocess.run(["dotnet", governed_dll, "--verify-audit", *files], capture_output=True, text=True, cwd=os.path.dirname(governed_dll))
    in_flight_allowance = options.connections * (options.rounds + 1) + options.single_rounds
    audit_result = {
        "records": len(lines),
        "files": len(files),
        "answered": governed.requests_answered,
        "lost": max(0, governed.requests_answered - len(lines)),
        "extra_in_flight": len(lines) - governed.requests_answered,
        "outcomes": outcomes,
        "verify": verify.stdout.strip().splitlines()[0] if verify.stdout.strip() else verify.stderr.strip(),
        "verify_exit_code": verify.returncode,
        # Calls whose client left when wrk stopped are recorded as cancelled (client_disconnected); everything else succeeded.
        "ok": governed.requests_answered <= len(lines) <= governed.requests_answered + in_flight_allowance and verify.returncode == 0
              and set(outcomes) <= {"succeeded", "cancelled"} and outcomes.get("cancelled", 0) <= in_flight_allowance,
    }

    results = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "settings": vars(options),
        "exit_codes": codes,
        "servers": [summary(server) for server in servers],
        "audit": audit_result,
        "profiles": profiles,
    }
    # Paired by round: the median of each round's ratio (or difference) to the bare server measured in the same round.
    bare = results["servers"][0]
    for entry in results["servers"]:
        entry["rps_ratio_to_bare"] = round(statistics.median(a / b for a, b in zip(entry["rps_rounds"], bare["rps_rounds"])), 3)
        entry["p99_delta_ms"] = round(statistics.median(a - b for a, b in zip(entry["p99_ms_rounds"], bare["p99_ms_rounds"])), 3)
        if entry["single_p50_ms_rounds"]:
            entry["single_p50_ms"] = round(statistics.median(entry["single_p50_ms_rounds"]), 3)
            entry["single_p99_ms"] = round(statistics.median(entry["single_p99_ms_rounds"]), 3)
            entry["single_p50_delta_ms"] = round(statistics.median(a - b for a, b in zip(entry["single_p50_ms_rounds"], bare["single_p50_ms_rounds"])), 3)
            entry["single_p99_delta_ms"] = round(statistics.median(a - b for a, b in zip(entry["single_p99_ms_rounds"], bare["single_p99_ms_rounds"])), 3)
        entry["cpu_us_per_call_delta"] = round(statistics.median(a - b for a, b in zip(entry["cpu_us_per_call_rounds"], bare["cpu_us_per_call_rounds"])), 1)

    os.makedirs(options.output, exist_ok=True)
    with open(os.path.join(options.output, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    markdown = render(results)
    with open(os.path.join(options.output, "results.md"), "w") as f:
        f.write(markdown)
    print(markdown)
    shutil.rmtree(work, ignore_errors=True)
    governed_entry = results["servers"][1]
    ok = audit_result["ok"] and all(s["non2xx"] == 0 for s in results["servers"])
    print(f"targets: governed/bare throughput {governed_entry['rps_ratio_to_bare']} (target >= 0.9), p99 +{governed_entry['p99_delta_ms']} ms (target <= 1), "
          f"non-2xx {governed_entry['non2xx']}, audit records lost {audit_result['lost']}"
          + (f"; one caller: p99 +{governed_entry['single_p99_delta_ms']} ms" if "single_p99_delta_ms" in governed_entry else ""))
    return 0 if ok else 1


def summary(server):
    rounds = server.rounds
    return {
        "name": server.name,
        "label": server.label,
        "rps": round(statistics.median(r["rps"] for r in rounds), 1),
        "rps_rounds": [r["rps"] for r in rounds],
        "p50_ms": round(statistics.median(r["p50_ms"] for r in rounds), 3),
        "p99_ms": round(statistics.median(r["p99_ms"] for r in rounds), 3),
        "p99_ms_rounds": [r["p99_ms"] for r in rounds],
        "cpu_us_per_call": round(statistics.median(r["cpu_us_per_call"] for r in rounds), 1),
        "cpu_us_per_call_rounds": [r["cpu_us_per_call"] for r in rounds],
        "non2xx": sum(r["non2xx"] for r in rounds + server.single_rounds),
        "single_p50_ms_rounds": [r["p50_ms"] for r in server.single_rounds],
        "single_p99_ms_rounds": [r["p99_ms"] for r in server.single_rounds],
        "socket_errors": [r["socket_errors"] for r in rounds if r["socket_errors"]],
        "start_to_first_call_s": round(statistics.median(server.starts), 3),
        "rss_after_warmup_mb": round(server.rss_mb, 1) if server.rss_mb else None,
    }


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
    dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "cpu": cpu, "dotnet_sdk": dotnet, "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]}


def render(r):
    s = r["settings"]
    rows = [
        f"Run {r['date']} on {r['machine']['cpus']} × {r['machine']['cpu']}, .NET SDK {r['machine']['dotnet_sdk']}; "
        f"wrk -t{s['threads']} -c{s['connections']}, {s['rounds']} interleaved rounds of {s['duration']} s after a {s['warmup']} s warm-up. "
        "Absolute figures: median round; comparisons with bare: median of the rounds' ratios or differences.",
        "",
        "| Server | Requests/s | p50 (ms) | p99 (ms) | vs. bare | p99 vs. bare | Server CPU per call (µs) | CPU vs. bare (µs) | Non-2xx | Start to first call (s) | RSS after warm-up (MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for e in r["servers"]:
        rows.append(f"| {e['label']} | {e['rps']:,.0f} | {e['p50_ms']:.2f} | {e['p99_ms']:.2f} | {e['rps_ratio_to_bare']:.2f}× | "
                    f"{e['p99_delta_ms']:+.2f} ms | {e['cpu_us_per_call']:.0f} | {e['cpu_us_per_call_delta']:+.0f} | {e['non2xx']} | {e['start_to_first_call_s']:.2f} | {e['rss_after_warmup_mb']:.0f} |")
    if r["servers"][0].get("single_p50_ms") is not None:
        rows += [
            "",
            f"One caller, sequential calls (wrk -t1 -c1, {s['single_rounds']} interleaved rounds): the latency governance adds when calls do not queue.",
            "",
            "| Server | p50 (ms) | p99 (ms) | p50 vs. bare | p99 vs. bare |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for e in r["servers"]:
            rows.append(f"| {e['label']} | {e['single_p50_ms']:.3f} | {e['single_p99_ms']:.3f} | {e['single_p50_delta_ms']:+.3f} ms | {e['single_p99_delta_ms']:+.3f} ms |")
    a = r["audit"]
    rows += [
        "",
        f"Audit (governed): {a['records']} records in {a['files']} file(s) for {a['answered']} answered calls (lost: {a['lost']}; "
        f"records for calls still in flight when wrk stopped: {a['extra_in_flight']}); outcomes {a['outcomes']}; verify: {a['verify'].rstrip('.')}.",
        "",
        "Rounds (requests/s): " + "; ".join(f"{e['name']} {', '.join(f'{x:,.0f}' for x in e['rps_rounds'])}" for e in r["servers"]),
        "",
        "Rounds (server CPU per call, µs): " + "; ".join(f"{e['name']} {', '.join(f'{x:.0f}' for x in e['cpu_us_per_call_rounds'])}" for e in r["servers"]),
    ]
    profiles = r.get("profiles") or {}
    if profiles:
        names = list(profiles)
        parts = []
        for name in names:
            parts += [p for p in profiles[name]["parts_us"] if p not in parts]
        rows += [
            "",
            "Server CPU per call by part of the stack (µs; perf samples during one more round, attributed to the innermost named frame):",
            "",
            "| Part | " + " | ".join(names) + " |",
            "| --- | " + " | ".join("---:" for _ in names) + " |",
        ]
        for part in parts:
            rows.append(f"| {part} | " + " | ".join(f"{profiles[n]['parts_us'].get(part, 0):.1f}" for n in names) + " |")
        rows.append("| **total** | " + " | ".join(f"**{profiles[n]['cpu_us_per_call']:.1f}**" for n in names) + " |")
        rows += ["", "Within that, the MCP SDK's samples (innermost SDK frame, with the runtime work beneath it), as a share of all the "
                     "server's CPU: " + "; ".join(
                         f"{n}: session machinery {profiles[n]['sdk_share']['session machinery']:.0%}, "
                         f"message work {profiles[n]['sdk_share']['message work']:.0%}" for n in names if "sdk_share" in profiles[n]) + "."]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.exit(main())
