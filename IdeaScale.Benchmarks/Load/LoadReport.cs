using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace IdeaScale.Benchmarks.Load;

/// <summary>Collects the figures of one load run and renders them, with the issue's targets, as Markdown.</summary>
internal sealed class LoadReport(LoadBenchmark.LoadSettings settings)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Minimum app/reference ratio per scenario key (issue 6, "Figures to reach").</summary>
    private static readonly Dictionary<string, double> RatioTargets = new()
    {
        ["filter"] = 0.6,
        ["id"] = 0.6,
        ["page"] = 0.8,
        ["patch10k"] = 0.5,
        ["create"] = 0.4,
        ["user-patch"] = 0.4,
    };

    private readonly List<(int Size, int Clients, long Users, WrkResult Result, int Locked)> provisioning = [];
    private readonly List<(int Size, Scenario Scenario, RunOutcome App, RunOutcome Reference)> scenarios = [];
    private readonly List<(int Size, Scenario Scenario, RunOutcome On, RunOutcome Off)> overheads = [];
    private readonly List<string> notes = [];
    private readonly List<(string Target, bool? Met, string Detail)> verdicts = [];
    private readonly List<(int Size, long AppKib, long ReferenceKib)> sizeMemory = [];
    private long appPeakKib, referencePeakKib, offPeakKib;
    private int lockedTotal;

    public DateTime Started { get; } = DateTime.UtcNow;

    public void Note(string note) => notes.Add(note);

    public void AddProvisioning(int size, int clients, long users, WrkResult result, int locked) => provisioning.Add((size, clients, users, result, locked));

    public void AddScenario(int size, Scenario scenario, RunOutcome app, RunOutcome reference) => scenarios.Add((size, scenario, app, reference));

    public void AddOverhead(int size, Scenario scenario, RunOutcome on, RunOutcome off) => overheads.Add((size, scenario, on, off));

    public void SetMemory(long appKib, long referenceKib) => (appPeakKib, referencePeakKib) = (appKib, referenceKib);

    /// <summary>Both servers' peak RSS so far, after the scenarios of a size (VmHWM only grows: the peak up to that size).</summary>
    public void SetSizeMemory(int size, long appKib, long referenceKib) => sizeMemory.Add((size, appKib, referenceKib));

    public void SetOffMemory(long kib) => offPeakKib = Math.Max(offPeakKib, kib);

    public void SetLockedErrors(int count) => lockedTotal = count;

    public string ToMarkdown()
    {
        verdicts.Clear();
        var md = new StringBuilder();
        md.AppendLine(Inv, $"# SCIM load benchmark, {Started:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        md.AppendLine(Inv, $"- Machine: {CpuModel()}, {Environment.ProcessorCount} cores, {MemoryGib():0} GiB RAM, Linux {Environment.OSVersion.Version}, {RuntimeInformation.FrameworkDescription}");
        md.AppendLine(Inv, $"- Servers pinned to core {settings.ServerCore} (`taskset`), wrk pinned to core {settings.ClientCore}; wrk 1 thread, {settings.Connections} connections, {settings.Duration.TotalSeconds:0} s per measurement after a warm-up run of the same scenario ({settings.FirstWarmup.TotalSeconds:0} s at the first size, {settings.Warmup.TotalSeconds:0} s after)");
        md.AppendLine(Inv, $"- Provider: **{settings.Provider.DisplayName()}**");
        if (settings.Provider == BenchProvider.PostgreSql)
        {
            md.AppendLine("- App: `dotnet publish -c Release` output, Production environment, a fresh PostgreSQL database of its own (created and migrated by the app), provisioning log and last-use tracking on, rate limit off");
            md.AppendLine("- Reference: plain Kestrel + Npgsql (pooling, automatic preparation) over one indexed table in a database of its own (IdeaScale.Benchmarks/Reference)");
            md.AppendLine("- PostgreSQL 15: throwaway cluster started by bench.sh, all its processes on the server core; fsync on, synchronous_commit off (comparable with the app's SQLite WAL + synchronous=NORMAL), shared_buffers 256MB");
        }
        else
        {
            md.AppendLine("- App: `dotnet publish -c Release` output, Production environment, fresh SQLite database, provisioning log and last-use tracking on, rate limit off");
            md.AppendLine("- Reference: plain Kestrel + Microsoft.Data.Sqlite over one indexed table (IdeaScale.Benchmarks/Reference), same SQLite pragmas");
        }

        if (settings.Commit.Length > 0)
        {
            md.AppendLine(Inv, $"- Commit: {settings.Commit}");
        }

        md.AppendLine(Inv, $"- Duration of the run: {(DateTime.UtcNow - Started).TotalMinutes:0.0} min");
        md.AppendLine();

        md.AppendLine("## Provisioning: POST /Users");
        md.AppendLine();
        md.AppendLine("| Phase | Clients | Users created | Users/s | p50 ms | p99 ms | Errors | \"database is locked\" | Server CPU | Client CPU |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var p in provisioning)
        {
            var r = p.Result;
            md.AppendLine(Inv, $"| up to {p.Size:N0} | {p.Clients} | {p.Users:N0} | {r.RequestsPerSecond:N0} | {r.P50Ms:0.0} | {r.P99Ms:0.0} | {r.Errors} | {p.Locked} | {r.ServerCpuPercent:0}% | {r.ClientCpuPercent:0}% |");
            if (p.Clients > 1)
            {
                Verdict($"Provisioning with {p.Clients} clients ≥ 1,500 users/s (up to {p.Size:N0})", r.RequestsPerSecond >= 1500, $"{r.RequestsPerSecond:N0} users/s");
            }
        }

        Verdict("No \"database is locked\" in the app's log", lockedTotal == 0, $"{lockedTotal} occurrences");
        md.AppendLine();

        foreach (var size in scenarios.Select(s => s.Size).Distinct())
        {
            md.AppendLine(Inv, $"## Requests at {size:N0} users");
            md.AppendLine();
            md.AppendLine("| Scenario | App req/s | App p50 / p99 ms | App errors | Reference req/s | Ref p50 / p99 ms | Ratio | Target | Server CPU (app / ref) | CPU µs per request (app / ref) | Client CPU (app / ref) |");
            md.AppendLine("|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|");
            foreach (var (_, scenario, app, reference) in scenarios.Where(s => s.Size == size))
            {
                var ratio = Ratio(app.Result, reference.Result);
                var target = RatioTargets.TryGetValue(scenario.Key, out var t) ? t : (double?)null;
                md.AppendLine(Inv, $"| {Escape(scenario.Title)} | {Rps(app)} | {Latency(app)} | {Errors(app)} | {Rps(reference)} | {Latency(reference)} | {Format(ratio)} | {(target is { } x ? $"≥ {x:0.0}×" : "")} | {Cpu(app, r => r.ServerCpuPercent)} / {Cpu(reference, r => r.ServerCpuPercent)} | {CpuPerRequest(app)} / {CpuPerRequest(reference)} | {Cpu(app, r => r.ClientCpuPercent)} / {Cpu(reference, r => r.ClientCpuPercent)} |");
                if (target is { } min)
                {
                    Verdict($"{scenario.Title} ≥ {min:0.0}× reference ({size:N0} users)", ratio is { } v ? v >= min : null, $"{Format(ratio)}");
                }

                Verdict($"No errors: {scenario.Title} ({size:N0} users)", app.Result is { } a ? a.Errors == 0 : null,
                    app.Result is { } e ? $"{e.Errors} of {e.Requests:N0}" : app.Failure ?? "");
            }

            var small = scenarios.FirstOrDefault(s => s.Size == size && s.Scenario.Key == "patch10").App?.Result;
            var large = scenarios.FirstOrDefault(s => s.Size == size && s.Scenario.Key == "patch10k").App?.Result;
            if (small is not null && large is not null)
            {
                var sizeRatio = large.RequestsPerSecond / small.RequestsPerSecond;
                md.AppendLine();
                md.AppendLine(Inv, $"Group size: PATCH on the 10,000-member group runs at **{sizeRatio:0.00}×** the rate on the 10-member group (target ≥ 0.8×).");
                Verdict($"PATCH 10,000-member group ≥ 0.8× 10-member group ({size:N0} users)", sizeRatio >= 0.8, $"{sizeRatio:0.00}×");
            }

            md.AppendLine();
        }

        if (settings.ScaleUsers > 0 && settings.Sizes.Count > 0)
        {
            WriteScale(md, settings.Sizes[0], settings.ScaleUsers);
        }

        md.AppendLine("## Memory");
        md.AppendLine();
        var memoryRatio = referencePeakKib > 0 ? appPeakKib / (double)referencePeakKib : (double?)null;
        md.AppendLine("| Process | Peak RSS (VmHWM) |");
        md.AppendLine("|---|--:|");
        md.AppendLine(Inv, $"| App (whole run, up to {Math.Max(settings.Sizes.Max(), settings.ScaleUsers):N0} users) | {appPeakKib / 1024.0:N0} MiB |");
        md.AppendLine(Inv, $"| Reference (whole run) | {referencePeakKib / 1024.0:N0} MiB |");
        if (offPeakKib > 0)
        {
            md.AppendLine(Inv, $"| App with log and last-use off (lookups only) | {offPeakKib / 1024.0:N0} MiB |");
        }

        md.AppendLine();
        md.AppendLine(Inv, $"App / reference: **{Format(memoryRatio)}** (target < 2.5×).");
        Verdict("Peak RSS < 2.5× reference", memoryRatio is { } m ? m < 2.5 : null, Format(memoryRatio));
        md.AppendLine();

        md.AppendLine("## Overhead of the provisioning log and last-use tracking");
        md.AppendLine();
        md.AppendLine("Two fresh app instances over the same database, one as in production and one with both switched off (`Scim:ProvisioningLog:Enabled=false`, `Scim:LastUse:Enabled=false`), so they differ only in the switch; each lookup alternates off/on twice and both rounds are summed.");
        md.AppendLine();
        md.AppendLine("| Users | Scenario | On req/s | Off req/s | Overhead | CPU µs per request (on / off) |");
        md.AppendLine("|--:|---|--:|--:|--:|--:|");
        foreach (var (size, scenario, on, off) in overheads)
        {
            var overhead = on.Result is { } a && off.Result is { } b && b.RequestsPerSecond > 0 ? 1 - (a.RequestsPerSecond / b.RequestsPerSecond) : (double?)null;
            md.AppendLine(Inv, $"| {size:N0} | {Escape(scenario.Title)} | {Rps(on)} | {Rps(off)} | {(overhead is { } o ? $"{o * 100:0.0}%" : "n/a")} | {CpuPerRequest(on)} / {CpuPerRequest(off)} |");
            Verdict($"Log + last-use overhead ≤ 10%: {scenario.Title} ({size:N0} users)", overhead is { } v ? v <= 0.10 : null, overhead is { } p ? $"{p * 100:0.0}%" : off.Failure ?? "");
        }

        md.AppendLine();
        md.AppendLine("## Targets");
        md.AppendLine();
        md.AppendLine("| Target | Met | Measured |");
        md.AppendLine("|---|---|---|");
        foreach (var (target, met, detail) in verdicts)
        {
            md.AppendLine(Inv, $"| {Escape(target)} | {(met is null ? "n/a" : met.Value ? "yes" : "**no**")} | {Escape(detail)} |");
        }

        if (notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Notes");
            md.AppendLine();
            foreach (var note in notes)
            {
                md.AppendLine(Inv, $"- {Escape(note)}");
            }
        }

        return md.ToString();
    }

    /// <summary>
    /// Issue 14 part 5: each scale scenario's rate at <paramref name="scale"/> users against the same scenario at
    /// <paramref name="small"/> users (the one-member PATCH: 100,000-member group against the 10,000-member one), and
    /// the peak RSS of both servers per size.
    /// </summary>
    private void WriteScale(StringBuilder md, int small, int scale)
    {
        md.AppendLine(Inv, $"## Cost as the directory grows: {small:N0} → {scale:N0} users");
        md.AppendLine();
        md.AppendLine(Inv, $"| Scenario | App req/s at {small:N0} | App req/s at {scale:N0} | Ratio (target ≥ 0.8×) | CPU µs per request app ({small:N0} / {scale:N0}) | Reference req/s ({small:N0} / {scale:N0}) | Ratio to reference at {scale:N0} |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|--:|");
        foreach (var (smallKey, scaleKey) in new[] { ("filter", "filter"), ("id", "id"), ("patch10k", "patch100k"), ("cursor", "cursor") })
        {
            var before = scenarios.FirstOrDefault(s => s.Size == small && s.Scenario.Key == smallKey);
            var after = scenarios.FirstOrDefault(s => s.Size == scale && s.Scenario.Key == scaleKey);
            if (after.Scenario is null || before.Scenario is null)
            {
                continue;
            }

            var ratio = Ratio(after.App.Result, before.App.Result);
            md.AppendLine(Inv, $"| {Escape(after.Scenario.Title)} | {Rps(before.App)} | {Rps(after.App)} | {Format(ratio)} | {CpuPerRequest(before.App)} / {CpuPerRequest(after.App)} | {Rps(before.Reference)} / {Rps(after.Reference)} | {Format(Ratio(after.App.Result, after.Reference.Result))} |");
            Verdict($"{after.Scenario.Title} at {scale:N0} users ≥ 0.8× the same at {small:N0}", ratio is { } r ? r >= 0.8 : null, Format(ratio));
        }

        md.AppendLine();
        md.AppendLine("| Peak RSS up to | App | Reference | App / reference |");
        md.AppendLine("|--:|--:|--:|--:|");
        foreach (var (size, appKib, refKib) in sizeMemory)
        {
            md.AppendLine(Inv, $"| {size:N0} users | {appKib / 1024.0:N0} MiB | {refKib / 1024.0:N0} MiB | {Format(refKib > 0 ? appKib / (double)refKib : null)} |");
        }

        if (sizeMemory.LastOrDefault() is { Size: var last, AppKib: var a, ReferenceKib: var b } && last == scale && b > 0)
        {
            Verdict($"Peak RSS at {scale:N0} users < 2.5× reference", a / (double)b < 2.5, Format(a / (double)b));
        }

        md.AppendLine();
    }

    private void Verdict(string target, bool? met, string detail) => verdicts.Add((target, met, detail));

    private static double? Ratio(WrkResult? app, WrkResult? reference) =>
        app is not null && reference is { RequestsPerSecond: > 0 } ? app.RequestsPerSecond / reference.RequestsPerSecond : null;

    private static string Format(double? ratio) => ratio is { } r ? string.Create(Inv, $"{r:0.00}×") : "n/a";

    private static string Rps(RunOutcome o) => o.Result is { } r ? r.RequestsPerSecond.ToString("N0", Inv) : "failed";

    private static string Latency(RunOutcome o) => o.Result is { } r ? string.Create(Inv, $"{r.P50Ms:0.0} / {r.P99Ms:0.0}") : "";

    private static string Errors(RunOutcome o) => o.Result is { } r ? r.Errors.ToString(Inv) : Escape(o.Failure ?? "");

    private static string Cpu(RunOutcome o, Func<WrkResult, double> pick) => o.Result is { } r ? string.Create(Inv, $"{pick(r):0}%") : "";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static double MemoryGib()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], Inv) / 1024.0 / 1024.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Server CPU time per answered request, in microseconds: what a request costs, whatever else shares the core
    /// (the ratio of req/s assumes the server had its core to itself).
    /// </summary>
    private static string CpuPerRequest(RunOutcome outcome) =>
        outcome.Result is { Requests: > 0 } r ? (r.ServerCpuPercent / 100 * r.Seconds * 1e6 / r.Requests).ToString("N0", Inv) : "n/a";
}
