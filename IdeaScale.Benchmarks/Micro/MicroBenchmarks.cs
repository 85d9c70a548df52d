using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace IdeaScale.Benchmarks.Micro;

/// <summary>
/// Entry point of <c>dotnet run -c Release --project IdeaScale.Benchmarks -- micro [BenchmarkDotNet args]</c>.
/// Benchmarks run in process (no generated project to restore and build), with BenchmarkDotNet's short-run job
/// (<c>--dry</c>: one invocation each, to check they run); other arguments (e.g. <c>--filter *Filter*</c>) go to
/// BenchmarkDotNet. By default all of them run.
/// </summary>
internal static class MicroBenchmarks
{
    public static int Run(string[] args)
    {
        var job = args.Contains("--dry") ? Job.Dry : Job.ShortRun;
        args = [.. args.Where(a => a != "--dry")];
        var config = DefaultConfig.Instance
            .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.JoinSummary);
        var switcher = BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly);
        var summaries = args.Length == 0 ? switcher.RunAll(config) : switcher.Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
