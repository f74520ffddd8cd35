"""Where a server's CPU goes per call: sample it with perf under load and attribute every sample to one part of the stack.

Used by run.py --profile. The server must run with DOTNET_PerfMapEnabled=1 and DOTNET_EnableWriteXorExecute=0 so that perf can
name JIT-compiled .NET methods (run.py sets both for the profiled servers).

A sample belongs to the innermost frame that names a part (leaf first): a JSON write inside the audit serializer counts as audit,
the same write inside the MCP SDK counts as the SDK. Samples with no named frame count by thread (GC, JIT, thread pool, kernel).
"""

import collections
import re
import subprocess

# (part, pattern over one frame's text); the first part whose pattern matches the innermost matching frame wins.
PARTS = [
    ("audit trail", r"McpServices\.AspNetCore\.(\w*Audit\w*|Redaction)\b"),
    ("OpenTelemetry export", r"OpenTelemetry\.Exporter|OpenTelemetry\.Internal\.BatchExport|OpenTelemetry\.BatchExport"),
    ("metrics", r"OpenTelemetry\.Metrics|System\.Diagnostics\.Metrics|McpServices\.AspNetCore\.McpServiceMetrics"),
    ("tracing", r"OpenTelemetry\.(Instrumentation|Trace|Context)|System\.Diagnostics\.(Activity|DiagnosticListener|DiagnosticSource)"
                r"|McpServices\.AspNetCore\.(ToolCallTracing|McpServiceTelemetry)"),
    ("authentication", r"Microsoft\.AspNetCore\.Authentication|JwtBearer|Microsoft\.IdentityModel|System\.Security\.Claims"
                       r"|McpServices\.AspNetCore\.(TokenValidationCache|CallerIdentity|ApiKey\w*)"),
    ("authorization and rate limits", r"McpServices\.AspNetCore\.(\w*Authoriz\w*|\w*RateLimit\w*)|Microsoft\.AspNetCore\.Authorization"
                                      r"|System\.Threading\.RateLimiting"),
    ("argument validation", r"McpServices\.AspNetCore\.(ArgumentPlan|\w*Validat\w*)|FluentValidation|System\.ComponentModel\.DataAnnotations"),
    ("McpServices gate and pipeline", r"McpServices\.AspNetCore\."),
    ("the tool", r"\bBench\."),
    ("MCP SDK (JSON-RPC, transport, JSON)", r"ModelContextProtocol"),
    ("ASP.NET Core and Kestrel", r"Microsoft\.AspNetCore|Microsoft\.Extensions|System\.IO\.Pipelines|System\.Net\.Sockets"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in PARTS]


def part_of(thread, frames):
    for frame in frames:
        for name, pattern in COMPILED:
            if pattern.search(frame):
                return name
    if "GC" in thread:
        return "garbage collection"
    if "Tiered Com" in thread:
        return "JIT compilation"
    if any("[kernel" in f or "_sys_" in f or "syscall" in f for f in frames[:3]):
        return "kernel (sockets, scheduling)"
    return "runtime and thread pool"


# The MCP SDK's share split in two (attributed to the innermost SDK frame of a sample, with the runtime's async and channel work
# beneath it): the work any call needs — reading and writing the JSON-RPC message, binding the arguments, the tool, the SSE
# frame — and the per-request session machinery of the stateless transport (creating, running and disposing of a transport
# and an McpServer per request, handing the message through its channels, the state machines in between).
SDK_FRAME = re.compile(r"ModelContextProtocol|Microsoft\.Extensions\.AI|\bBench\.")
SDK_MESSAGE_WORK = re.compile(r"JsonRpcMessage\+Converter|SerializeHandler|ContentBlock|AIFunction|SseEventWriter|FormatJsonRpcMessage"
                              r"|McpJsonUtilities|CallToolResult|InvokeStub|\bBench\.")


def sdk_split(frames):
    for frame in frames:
        if SDK_FRAME.search(frame):
            return "message work" if SDK_MESSAGE_WORK.search(frame) else "session machinery"
    return None


def blocks(script_output):
    block = []
    for line in script_output.splitlines() + [""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            yield re.sub(r"\s+\d+\s*$", "", block[0]).strip(), block[1:]
            block = []


def attribute(script_output):
    """Counts perf script samples (-F comm,tid,ip,sym) per part; returns ({part: share}, {SDK split: share}) of all samples."""
    counts = collections.Counter()
    sdk = collections.Counter()
    for thread, frames in blocks(script_output):
        counts[part_of(thread, frames)] += 1
        split = sdk_split(frames)
        if split:
            sdk[split] += 1
    total = sum(counts.values()) or 1
    return ({name: count / total for name, count in counts.most_common()},
            {name: sdk[name] / total for name in ("session machinery", "message work")})


def start(pid, seconds, output):
    """Starts perf record on a process for the given seconds; wait on the returned process."""
    return subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(pid), "-o", output, "--", "sleep", str(seconds)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def report(output):
    script = subprocess.run(["perf", "script", "-i", output, "-F", "comm,tid,ip,sym"], capture_output=True, text=True).stdout
    return attribute(script)
