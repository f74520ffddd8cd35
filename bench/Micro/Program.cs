using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Micro -- --filter '*'      (or ./bench/run.sh --micro)
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
