using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace IdeaScale.Benchmarks.Micro;

/// <summary>
/// Entry point of <c>dotnet run -c Release --project IdeaScale.Benchmarks -- micro [BenchmarkDotNet args]</c>.
/// Benchmarks run in process (no generated project to restore and build), with BenchmarkDotNet's short-run job
/// unless a job is chosen on the command line; by default all of them run.
/// </summary>
internal static class MicroBenchmarks
{
    public static int Run(string[] args)
    {
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.JoinSummary);
        var switcher = BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly);
        var summaries = args.Length == 0 ? switcher.RunAll(config) : switcher.Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
