using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Micro -- --filter '*'      (or ./bench/run.sh --micro)
// Smoke run, every benchmark once in this process (the test run does this so that the benchmarks cannot rot unnoticed):
// dotnet artifacts/bin/McpServices.Benchmarks/release/McpServices.Benchmarks.dll --filter '*' --job Dry --inProcess
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

// A benchmark whose setup or body throws is reported as "NA" and BenchmarkDotNet still exits with 0: fail instead.
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
