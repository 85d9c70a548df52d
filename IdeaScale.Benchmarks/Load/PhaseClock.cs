using System.Diagnostics;

namespace IdeaScale.Benchmarks.Load;

/// <summary>One phase of the run: its wall time, what it was expected to take on an idle machine (when the settings
/// fix it), and the CPU time it cost the servers (app instances and reference, on the server core), the benchmark
/// process itself (SQLite's bulk inserts and reference copies run in it) and wrk (the client core).</summary>
internal sealed record PhaseTiming(string Name, TimeSpan Wall, double? ExpectedSeconds, double ServerCpuSeconds, double BenchmarkCpuSeconds, double ClientCpuSeconds);

/// <summary>
/// Where the run's wall time goes. <c>using (clock.Start("phase"))</c> around each phase; the servers it tracks are
/// read from /proc when the phase starts and ends (a server started within the phase counts from its start, one
/// stopped within it up to its last reading). On a shared machine wall time grows with the load while the CPU
/// columns do not: the report gives both.
/// </summary>
internal sealed class PhaseClock(WrkRunner wrk, Action<PhaseTiming> record)
{
    private readonly List<ServerProcess> servers = [];
    private readonly WrkRunner wrk = wrk;
    private readonly Action<PhaseTiming> record = record;

    public void Track(ServerProcess server) => servers.Add(server);

    public IDisposable Start(string name, double? expectedSeconds = null) => new Phase(this, name, expectedSeconds);

    private double ServerCpu() => servers.Sum(s => s.CpuSeconds());

    private static double OwnCpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private sealed class Phase : IDisposable
    {
        private readonly PhaseClock clock;
        private readonly string name;
        private readonly double? expected;
        private readonly Stopwatch wall = Stopwatch.StartNew();
        private readonly double serverCpu, ownCpu, clientCpu;

        public Phase(PhaseClock clock, string name, double? expected)
        {
            this.clock = clock;
            this.name = name;
            this.expected = expected;
            serverCpu = clock.ServerCpu();
            ownCpu = OwnCpu();
            clientCpu = clock.wrk.ClientCpuSeconds;
        }

        public void Dispose() => clock.record(new PhaseTiming(
            name, wall.Elapsed, expected,
            clock.ServerCpu() - serverCpu,
            OwnCpu() - ownCpu,
            clock.wrk.ClientCpuSeconds - clientCpu));
    }
}
