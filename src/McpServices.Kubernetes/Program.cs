using System.Diagnostics;
using System.Text;
using System.Text.Json;
using McpServices.Kubernetes;

// mcpservices-kubernetes --service bin/Release/net10.0/Inventory.dll [options]     (see Usage below and docs/kubernetes.md)
return await Cli.RunAsync(args, Console.Out, Console.Error);

namespace McpServices.Kubernetes
{
    internal static class Cli
    {
        public const string Usage = """
            McpServices.Kubernetes: Kubernetes manifests from an McpServices service's self-description.

              --service <dll>             the built service; its description is read with 'dotnet <dll> --describe'
              --description <file>        or a saved description (JSON from --describe)
              --output <dir>              where base/ and overlays/ go (default: deploy)
              --settings <file>           deployment settings (JSON, see docs/kubernetes.md); options below win
              --image <repository>        image repository (default: the service name)
              --tag <tag>                 image tag (default: the service version)
              --digest <sha256:...>       name the image by digest (after a push)
              --namespace <ns>            namespace of the prod overlay (default: the service name)
              --dev-namespace <ns>        namespace of the dev overlay (default: <name>-dev)
              --replicas <n>              prod replicas, the autoscaler's minimum (default 3, at least 2)
              --max-replicas <n>          prod autoscaling maximum (default 10)
              --authority <url>           OpenID Connect authority for the ConfigMap
              --public-url <url>          public URL of the MCP endpoint (token audience)
              --otlp-endpoint <url>       OTEL_EXPORTER_OTLP_ENDPOINT for the ConfigMap
              --otlp-protocol <protocol>  grpc or http/protobuf (default: grpc for port 4317, else http/protobuf)
              --gateway <ns>/<name>[@host] add a Gateway API HTTPRoute through that gateway
              --service-monitor           add a Prometheus ServiceMonitor (and serve /metrics)
              --monitoring-namespace <ns> the namespace Prometheus scrapes from (default: monitoring)
              --kagent                    add a kagent RemoteMCPServer to each overlay
              --cluster-domain <domain>   the cluster's DNS domain, for in-cluster URLs (default: cluster.local)
              --check                     write nothing; exit 1 when the files on disk differ from what would be generated
            """;

        public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
        {
            try
            {
                var parsed = Parse(args);
                if (parsed.Help)
                {
                    await output.WriteAsync(Usage);
                    return 0;
                }

                var description = parsed.DescriptionFile is { } file
                    ? ReadInput(file, "--description")
                    : await DescribeAsync(parsed.ServiceDll ?? throw new UsageException("Give --service <dll> or --description <file>."));
                var service = ServiceDescription.Parse(description, parsed.DescriptionFile ?? $"The output of 'dotnet {parsed.ServiceDll} --describe'");
                var files = new ManifestGenerator(service, parsed.Options).Generate();
                var root = Path.GetFullPath(parsed.Options.Output);
                return parsed.Check ? Check(root, files, output, error) : Write(root, files, output, service, parsed.Options);
            }
            catch (Exception ex) when (ex is UsageException or FormatException or IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }
        }

        private static int Write(string root, SortedDictionary<string, string> files, TextWriter output, ServiceDescription service, GeneratorOptions options)
        {
            foreach (var obsolete in NoLongerGenerated(root, files))
            {
                File.Delete(Path.Combine(root, obsolete));
            }

            foreach (var (relative, content) in files)
            {
                var path = Path.Combine(root, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                if (!File.Exists(path) || File.ReadAllText(path) != content)
                {
                    File.WriteAllText(path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                }
            }

            output.WriteLine($"Kubernetes manifests for {service.Name} {service.Version} in {root} (kubectl apply -k {Path.Combine(root, "overlays", "prod")}).");
            if (ManifestGenerator.IdentityProviderNote(service, options) is { } note)
            {
                output.WriteLine(note);
            }

            return 0;
        }

        private static int Check(string root, SortedDictionary<string, string> files, TextWriter output, TextWriter error)
        {
            var stale = new List<string>();
            foreach (var (relative, content) in files)
            {
                var path = Path.Combine(root, relative);
                if (!File.Exists(path))
                {
                    stale.Add($"missing: {relative}");
                }
                else if (File.ReadAllText(path) != content)
                {
                    stale.Add($"differs: {relative}");
                }
            }

            stale.AddRange(NoLongerGenerated(root, files).Select(f => $"no longer generated: {f}"));

            if (stale.Count == 0)
            {
                output.WriteLine($"Up to date: {root}");
                return 0;
            }

            error.WriteLine($"The manifests in {root} are stale against the service's description; regenerate them (dotnet build -t:McpGenerateKubernetesManifests):");
            foreach (var line in stale)
            {
                error.WriteLine($"  {line}");
            }

            return 1;
        }

        /// <summary>
        /// Generated folders are owned by the generator: the files in them that it wrote before (they start with its header) but
        /// no longer produces. Other files there are left alone.
        /// </summary>
        private static IEnumerable<string> NoLongerGenerated(string root, SortedDictionary<string, string> files) =>
            new[] { "base", "overlays/dev", "overlays/prod" }
                .Select(folder => Path.Combine(root, folder))
                .Where(Directory.Exists)
                .SelectMany(folder => Directory.EnumerateFiles(folder))
                .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
                .Where(relative => !files.ContainsKey(relative)
                    && File.ReadLines(Path.Combine(root, relative)).FirstOrDefault()?.StartsWith(ManifestGenerator.HeaderPrefix, StringComparison.Ordinal) == true)
                .ToList();

        /// <summary>Runs the built service with <c>--describe</c> from its own folder (its content root) and returns the JSON.</summary>
        private static async Task<string> DescribeAsync(string dll)
        {
            var path = Path.GetFullPath(dll);
            if (!File.Exists(path))
            {
                throw new UsageException($"{path} does not exist; build the service first.");
            }

            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.GetDirectoryName(path)!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(path);
            start.ArgumentList.Add("--describe");
            start.Environment["DOTNET_NOLOGO"] = "1";

            // The pods run in Production (the ConfigMap says so): describe the service as it will run there, whatever environment
            // the shell or IDE that runs the generator sets; appsettings.Development.json must not reach the manifests.
            start.Environment["DOTNET_ENVIRONMENT"] = "Production";
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                var text = await stderr;
                var (reason, complete) = DescribeFailure(text);
                throw new InvalidOperationException($"'dotnet {path} --describe' failed with exit code {process.ExitCode}: {reason}{(complete ? "" : "\n" + text.TrimEnd())}");
            }

            return await stdout;
        }

        /// <summary>
        /// The reason a describe failed, for the error line (build tools and IDEs show only that line): a configuration error's
        /// problems, joined; else the first line the service wrote — then the rest follows on the lines after (not complete).
        /// The header and the "  - " list are what McpServices.AspNetCore writes for configuration errors (its StartupErrors;
        /// Inventory.Tests' HostingTests pin that format).
        /// </summary>
        private static (string Reason, bool Complete) DescribeFailure(string stderr)
        {
            var lines = stderr.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            var start = lines.IndexOf("The MCP service cannot start because of its configuration:");
            if (start >= 0 && lines.Skip(start + 1).TakeWhile(l => l.StartsWith("- ", StringComparison.Ordinal)).Select(l => l[2..]).ToList() is { Count: > 0 } problems)
            {
                return ($"the service's configuration is invalid: {string.Join(" ", problems)}", true);
            }

            return (lines.FirstOrDefault() ?? "(nothing on standard error)", lines.Count <= 1);
        }

        internal static Parsed Parse(string[] args)
        {
            var parsed = new Parsed();
            var settings = args.SkipWhile(a => a != "--settings").Skip(1).FirstOrDefault();
            parsed.Options = GeneratorOptions.Load(settings);
            var o = parsed.Options;
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value.");
                int Number()
                {
                    var name = args[i];
                    return int.TryParse(Value(), System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new UsageException($"{name} needs a positive number.");
                }

                switch (args[i])
                {
                    case "-h" or "--help": parsed.Help = true; break;
                    case "--service": parsed.ServiceDll = Value(); break;
                    case "--description": parsed.DescriptionFile = Value(); break;
                    case "--settings": Value(); break;
                    case "--output": o.Output = Value(); break;
                    case "--image": o.Image = Blank(Value()); break;
                    case "--tag": o.Tag = Blank(Value()); break;
                    case "--digest": o.Digest = Blank(Value()); break;
                    case "--namespace": o.Prod.Namespace = Blank(Value()); break;
                    case "--dev-namespace": o.Dev.Namespace = Blank(Value()); break;
                    case "--replicas": o.Prod.Replicas = Number(); break;
                    case "--max-replicas": o.Prod.MaxReplicas = Number(); break;
                    case "--authority": o.Authority = Blank(Value()); break;
                    case "--public-url": o.PublicUrl = Blank(Value()); break;
                    case "--otlp-endpoint": o.OtlpEndpoint = Blank(Value()); break;
                    case "--otlp-protocol": o.OtlpProtocol = Blank(Value()); break;
                    case "--gateway": o.HttpRoute = Gateway(Value()); break;
                    case "--service-monitor": o.ServiceMonitor = true; break;
                    case "--monitoring-namespace": o.MonitoringNamespace = Value().Trim(); break;
                    case "--kagent": o.Kagent ??= new KagentOptions(); break;
                    case "--cluster-domain": o.ClusterDomain = Value().Trim(); break;
                    case "--check": parsed.Check = true; break;
                    default: throw new UsageException($"Unknown option '{args[i]}'.\n\n{Usage}");
                }
            }

            if (GeneratorOptionsValidation.Validate(o) is { Count: > 0 } problems)
            {
                var source = settings is null ? "the options" : $"the options and {settings}";
                throw new UsageException($"{source} cannot make valid Kubernetes objects:\n  - {string.Join("\n  - ", problems)}");
            }

            return parsed;
        }

        /// <summary>Reads an input file named by <paramref name="option"/>; a directory is a usage error, not "access denied".</summary>
        internal static string ReadInput(string path, string option) =>
            Directory.Exists(path)
                ? throw new UsageException($"{option} '{path}' is a directory; give the file ({(option == "--description" ? "JSON from 'dotnet <service>.dll --describe'" : "deploy/kubernetes.json, see docs/kubernetes.md")}).")
                : File.ReadAllText(path);

        private static string? Blank(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

        private static HttpRouteOptions? Gateway(string value)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return null;
            }

            var (gateway, host) = value.Split('@', 2) is [var g, var h] ? (g, h) : (value, null);
            var parts = gateway.Split('/', 2);
            if (parts.Length != 2 || parts.Any(string.IsNullOrWhiteSpace))
            {
                throw new UsageException($"--gateway expects <namespace>/<name>[@hostname]; it is '{value}'.");
            }

            return new HttpRouteOptions { GatewayNamespace = parts[0], GatewayName = parts[1], Hostname = host };
        }

        internal sealed class Parsed
        {
            public GeneratorOptions Options { get; set; } = new();

            public string? ServiceDll { get; set; }

            public string? DescriptionFile { get; set; }

            public bool Check { get; set; }

            public bool Help { get; set; }
        }
    }

    internal sealed class UsageException(string message) : Exception(message);
}
