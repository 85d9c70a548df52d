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
    private readonly List<(string Target, bool? Met, string Detail, string Why)> verdicts = [];
    private readonly List<PhaseTiming> phases = [];
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

    public void AddPhase(PhaseTiming phase) => phases.Add(phase);

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

        var prepare = phases.Where(p => p.Name.StartsWith("bench.sh", StringComparison.Ordinal)).Sum(p => p.Wall.TotalMinutes);
        md.AppendLine(Inv, $"- Duration of the run: {(DateTime.UtcNow - Started).TotalMinutes + prepare:0.0} min ({(prepare > 0 ? string.Create(Inv, $"{prepare:0.0} min publish and build, then ") : "")}{(DateTime.UtcNow - Started).TotalMinutes:0.0} min of benchmark; by phase in \"Where the run's time went\")");
        md.AppendLine();
        var head = md;
        md = new StringBuilder();

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
                Verdict($"Provisioning with {p.Clients} clients ≥ 1,500 users/s (up to {p.Size:N0})", r.RequestsPerSecond >= 1500, $"{r.RequestsPerSecond:N0} users/s",
                    $"A POST /Users cost {Micros(CpuPerRequestMicros(r))} µs of server CPU, so one core allows at most {CapacityPerSecond(r)} users/s; the server core was {r.ServerCpuPercent:0}% busy{Share(r)}{LockedClause(p.Locked)}; p50 {r.P50Ms:0.0} ms, p99 {r.P99Ms:0.0} ms with {p.Clients} clients.");
            }
        }

        var lockedInScenarios = scenarios.Where(s => s.App.Locked > 0).Select(s => string.Create(Inv, $"{s.App.Locked} during {s.Scenario.Key} at {s.Size:N0}")).ToList();
        Verdict("No \"database is locked\" in the app's log", lockedTotal == 0, $"{lockedTotal} occurrences",
            $"The app's log has {lockedTotal} \"database is locked\" lines: {provisioning.Sum(p => p.Locked)} during provisioning"
            + (lockedInScenarios.Count > 0 ? "; " + string.Join(", ", lockedInScenarios) : "")
            + " (a writer waited longer than the busy timeout for SQLite's one write lock).");
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
                    Verdict($"{scenario.Title} ≥ {min:0.0}× reference ({size:N0} users)", ratio is { } v ? v >= min : null, $"{Format(ratio)}",
                        WhyRatio(scenario, size, app, reference));
                }
            }

            // One verdict per size for errors: every scenario's requests, the failing ones named in the reason.
            var atSize = scenarios.Where(s => s.Size == size).ToList();
            var measured = atSize.Where(s => s.App.Result is not null).ToList();
            var failing = atSize.Where(s => s.App.Result is not { Errors: 0 }).ToList();
            Verdict($"No errors (non-2xx or socket) in the app's {atSize.Count} scenarios ({size:N0} users)", measured.Count > 0 ? failing.Count == 0 : null,
                string.Create(Inv, $"{measured.Sum(s => s.App.Result!.Errors):N0} of {measured.Sum(s => s.App.Result!.Requests):N0} requests{(measured.Count < atSize.Count ? $"; {atSize.Count - measured.Count} runs failed" : "")}"),
                string.Join(" ", failing.Select(f => WhyErrors(f.Scenario, size, f.App))));

            var small = scenarios.FirstOrDefault(s => s.Size == size && s.Scenario.Key == "patch10").App?.Result;
            var large = scenarios.FirstOrDefault(s => s.Size == size && s.Scenario.Key == "patch10k").App?.Result;
            if (small is not null && large is not null)
            {
                var sizeRatio = large.RequestsPerSecond / small.RequestsPerSecond;
                md.AppendLine();
                md.AppendLine(Inv, $"Group size: PATCH on the 10,000-member group runs at **{sizeRatio:0.00}×** the rate on the 10-member group (target ≥ 0.8×).");
                Verdict($"PATCH 10,000-member group ≥ 0.8× 10-member group ({size:N0} users)", sizeRatio >= 0.8, $"{sizeRatio:0.00}×",
                    $"At {size:N0} users a one-member PATCH cost {Micros(CpuPerRequestMicros(large))} µs of app CPU on the 10,000-member group against {Micros(CpuPerRequestMicros(small))} µs on the 10-member one"
                    + $" (server core {large.ServerCpuPercent:0}% and {small.ServerCpuPercent:0}% busy; p50 {large.P50Ms:0.0} ms against {small.P50Ms:0.0} ms).");
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
        Verdict("Peak RSS < 2.5× reference", memoryRatio is { } m ? m < 2.5 : null, Format(memoryRatio), WhyMemory(appPeakKib, referencePeakKib));
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
            Verdict($"Log + last-use overhead ≤ 10%: {scenario.Title} ({size:N0} users)", overhead is { } v ? v <= 0.10 : null, overhead is { } p ? $"{p * 100:0.0}%" : off.Failure ?? "",
                on.Result is { } onRun && off.Result is { } offRun
                    ? $"With the log and last-use tracking on, a request cost {Micros(CpuPerRequestMicros(onRun))} µs of app CPU against {Micros(CpuPerRequestMicros(offRun))} µs with both off: {Micros(CpuPerRequestMicros(onRun) - CpuPerRequestMicros(offRun))} µs per request for the log row and the last-use update (server core {onRun.ServerCpuPercent:0}% and {offRun.ServerCpuPercent:0}% busy)."
                    : $"No measurement: {on.Failure ?? off.Failure}");
        }

        md.AppendLine();
        WritePhases(md);
        if (notes.Count > 0)
        {
            md.AppendLine("## Notes");
            md.AppendLine();
            foreach (var note in notes)
            {
                md.AppendLine(Inv, $"- {Escape(note)}");
            }
        }

        // The summary (what README "Performance" shows) comes first; its verdicts were collected above.
        WriteSummary(head);
        head.AppendLine("## Targets");
        head.AppendLine();
        head.AppendLine("| Target | Met | Measured |");
        head.AppendLine("|---|---|---|");
        foreach (var (target, met, detail, _) in verdicts)
        {
            head.AppendLine(Inv, $"| {Escape(target)} | {(met is null ? "n/a" : met.Value ? "yes" : "**no**")} | {Escape(detail)} |");
        }

        var missed = verdicts.Where(v => v.Met == false).ToList();
        head.AppendLine();
        if (missed.Count > 0)
        {
            head.AppendLine("Why each missed target is missed (generated from this run's figures):");
            head.AppendLine();
            foreach (var (target, _, detail, why) in missed)
            {
                head.AppendLine(Inv, $"- **{Escape(target)}** ({Escape(detail)}): {Escape(why)}");
            }

            head.AppendLine();
        }

        return head.Append(md).ToString();
    }

    /// <summary>The scale phase's scenarios and the scenario at the first size each is compared with.</summary>
    private static readonly (string SmallKey, string ScaleKey)[] ScalePairs = [("filter", "filter"), ("id", "id"), ("patch10k", "patch100k"), ("cursor", "cursor")];

    /// <summary>
    /// Issue 14 part 5: each scale scenario's rate at <paramref name="scale"/> users against the same scenario at
    /// <paramref name="small"/> users (the one-member PATCH: 100,000-member group against the 10,000-member one), and
    /// the peak RSS of both servers at the scale size (the per-size figures are in the summary).
    /// </summary>
    private void WriteScale(StringBuilder md, int small, int scale)
    {
        md.AppendLine(Inv, $"## Cost as the directory grows: {small:N0} → {scale:N0} users");
        md.AppendLine();
        md.AppendLine(Inv, $"| Scenario | App req/s at {small:N0} | App req/s at {scale:N0} | Ratio (target ≥ 0.8×) | CPU µs per request app ({small:N0} / {scale:N0}) | Reference req/s ({small:N0} / {scale:N0}) | Ratio to reference at {scale:N0} |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|--:|");
        foreach (var (smallKey, scaleKey) in ScalePairs)
        {
            var before = scenarios.FirstOrDefault(s => s.Size == small && s.Scenario.Key == smallKey);
            var after = scenarios.FirstOrDefault(s => s.Size == scale && s.Scenario.Key == scaleKey);
            if (after.Scenario is null || before.Scenario is null)
            {
                continue;
            }

            var ratio = Ratio(after.App.Result, before.App.Result);
            md.AppendLine(Inv, $"| {Escape(after.Scenario.Title)} | {Rps(before.App)} | {Rps(after.App)} | {Format(ratio)} | {CpuPerRequest(before.App)} / {CpuPerRequest(after.App)} | {Rps(before.Reference)} / {Rps(after.Reference)} | {Format(Ratio(after.App.Result, after.Reference.Result))} |");
            Verdict($"{after.Scenario.Title} at {scale:N0} users ≥ 0.8× the same at {small:N0}", ratio is { } r ? r >= 0.8 : null, Format(ratio),
                WhyScale(before, after, small, scale));
        }

        if (sizeMemory.LastOrDefault() is { Size: var last, AppKib: var a, ReferenceKib: var b } && last == scale && b > 0)
        {
            Verdict($"Peak RSS at {scale:N0} users < 2.5× reference", a / (double)b < 2.5, Format(a / (double)b), WhyMemory(a, b));
        }

        md.AppendLine();
    }

    /// <summary>
    /// The table README "Performance" shows: every scenario at every size side by side (app req/s, ratio to the
    /// reference, CPU µs per request of app and reference), the targets, and the peak RSS per size.
    /// </summary>
    private void WriteSummary(StringBuilder md)
    {
        var sizes = scenarios.Select(s => s.Size).Distinct().ToList();
        if (sizes.Count == 0)
        {
            return;
        }

        var header = string.Join(" / ", sizes.Select(Short));
        md.AppendLine("## Summary");
        md.AppendLine();
        md.AppendLine(Inv, $"| Scenario | App req/s ({header}) | Ratio to the reference ({header}) | CPU µs per request, app / ref ({string.Join(" · ", sizes.Select(Short))}) | Target |");
        md.AppendLine("|---|--:|--:|--:|---|");
        foreach (var key in scenarios.Select(s => s.Scenario.Key).Distinct())
        {
            var title = scenarios.First(s => s.Scenario.Key == key).Scenario.Title;
            var cells = sizes.Select(size => scenarios.FirstOrDefault(s => s.Size == size && s.Scenario.Key == key)).ToList();
            var rps = string.Join(" / ", cells.Select(c => c.Scenario is null ? "—" : Rps(c.App)));
            var ratios = string.Join(" / ", cells.Select(c => c.Scenario is null ? "—" : Format(Ratio(c.App.Result, c.Reference.Result))));
            var cpu = string.Join(" · ", cells.Select(c => c.Scenario is null ? "—" : $"{CpuPerRequest(c.App)} / {CpuPerRequest(c.Reference)}"));
            md.AppendLine(Inv, $"| {Escape(title)} | {rps} | {ratios} | {cpu} | {Escape(TargetText(key))} |");
        }

        md.AppendLine();
        if (sizeMemory.Count > 0)
        {
            md.AppendLine("| Peak RSS (VmHWM) up to | App | Reference | App / reference (target < 2.5×) |");
            md.AppendLine("|--:|--:|--:|--:|");
            foreach (var (size, appKib, refKib) in sizeMemory)
            {
                md.AppendLine(Inv, $"| {size:N0} users | {appKib / 1024.0:N0} MiB | {refKib / 1024.0:N0} MiB | {Format(refKib > 0 ? appKib / (double)refKib : null)} |");
            }

            md.AppendLine();
        }
    }

    /// <summary>The scenario's targets in words: its ratio to the reference, and for a scale scenario the growth one.</summary>
    private string TargetText(string key)
    {
        var parts = new List<string>();
        if (RatioTargets.TryGetValue(key, out var min))
        {
            parts.Add(string.Create(Inv, $"≥ {min:0.0}× ref"));
        }

        if (key == "patch10k")
        {
            parts.Add("≥ 0.8× the 10-member group");
        }

        if (settings.ScaleUsers > 0 && ScalePairs.FirstOrDefault(p => p.ScaleKey == key) is { SmallKey: { } smallKey })
        {
            parts.Add(string.Create(Inv, $"at {Short(settings.ScaleUsers)} ≥ 0.8× {(smallKey == key ? "its rate" : smallKey)} at {Short(settings.Sizes[0])}"));
        }

        return string.Join("; ", parts);
    }

    /// <summary>Where the run's wall time went, phase by phase, with the CPU time each phase cost.</summary>
    private void WritePhases(StringBuilder md)
    {
        if (phases.Count == 0)
        {
            return;
        }

        md.AppendLine("## Where the run's time went");
        md.AppendLine();
        md.AppendLine("Wall time per phase (it grows with whatever else runs on the machine), the time the phase should take on an idle machine where the settings fix it, and the CPU time it cost: the servers (app instances and reference, all on the server core), the benchmark process (on SQLite the bulk inserts and reference copies run in it; on PostgreSQL they run in the cluster's processes, counted in the Notes for the bulk insert) and wrk (the client core). CPU time does not grow with the machine's load; wall time much above the CPU total means the phase waited for a core or for I/O.");
        md.AppendLine();
        md.AppendLine("| Phase | Wall s | Expected s (idle) | Servers CPU s | Benchmark CPU s | wrk CPU s |");
        md.AppendLine("|---|--:|--:|--:|--:|--:|");
        foreach (var p in phases)
        {
            md.AppendLine(Inv, $"| {Escape(p.Name)} | {p.Wall.TotalSeconds:N1} | {(p.ExpectedSeconds is { } e ? e.ToString("N0", Inv) : "")} | {p.ServerCpuSeconds:N1} | {p.BenchmarkCpuSeconds:N1} | {p.ClientCpuSeconds:N1} |");
        }

        var measured = phases.Where(p => p.ExpectedSeconds is not null).ToList();
        md.AppendLine(Inv, $"| **All phases** | **{phases.Sum(p => p.Wall.TotalSeconds):N0}** | {measured.Sum(p => p.ExpectedSeconds!.Value):N0} (the fixed phases; {measured.Sum(p => p.Wall.TotalSeconds):N0} s measured for them) | {phases.Sum(p => p.ServerCpuSeconds):N0} | {phases.Sum(p => p.BenchmarkCpuSeconds):N0} | {phases.Sum(p => p.ClientCpuSeconds):N0} |");
        md.AppendLine();
    }

    private void Verdict(string target, bool? met, string detail, string why) => verdicts.Add((target, met, detail, why));

    /// <summary>Why an app/reference ratio falls short: the CPU each spends per request, and how busy the server core was.</summary>
    private static string WhyRatio(Scenario scenario, int size, RunOutcome app, RunOutcome reference)
    {
        if (app.Result is not { } a || reference.Result is not { } r)
        {
            return $"No measurement: {app.Failure ?? reference.Failure}";
        }

        var appCpu = CpuPerRequestMicros(a);
        var refCpu = CpuPerRequestMicros(r);
        var text = string.Create(Inv, $"At {size:N0} users the app spent {Micros(appCpu)} µs of server CPU per request against the reference's {Micros(refCpu)} µs ({(refCpu > 0 ? appCpu / refCpu : double.NaN):0.0}× as much)");
        text += a.ServerCpuPercent < 85 && r.ServerCpuPercent - a.ServerCpuPercent > 10
            ? string.Create(Inv, $"; the app kept the server core only {a.ServerCpuPercent:0}% busy against the reference's {r.ServerCpuPercent:0}%, so part of its lower rate is waiting (for SQLite's write lock, I/O or a core of the shared machine), p99 {a.P99Ms:0.0} ms against {r.P99Ms:0.0} ms")
            : string.Create(Inv, $"; the server core was {a.ServerCpuPercent:0}% busy for the app and {r.ServerCpuPercent:0}% for the reference, so the rates follow the CPU cost");
        return text + LockedClause(app.Locked) + $" ({Escape(scenario.Key)}).";
    }

    private static string WhyErrors(Scenario scenario, int size, RunOutcome app) => app.Result is { } a
        ? string.Create(Inv, $"At {size:N0} users {a.StatusErrors:N0} of {a.Requests:N0} requests ({scenario.Key}) got a non-2xx answer and {a.SocketErrors:N0} a socket error (connect, read, write or the 30 s timeout); p99 {a.P99Ms:0.0} ms{LockedClause(app.Locked)}; the app's log ({scenario.Key} ran at {size:N0}) has the answers' details.")
        : $"The run failed: {app.Failure}";

    /// <summary>How both servers' peak RSS grew over the sizes, so a miss shows where the memory went.</summary>
    private string WhyMemory(long appKib, long referenceKib)
    {
        var growth = sizeMemory.Count > 0
            ? "; the app's peak after each size: " + string.Join(", ", sizeMemory.Select(m => string.Create(Inv, $"{m.AppKib / 1024.0:N0} MiB at {m.Size:N0}")))
              + "; the reference's: " + string.Join(", ", sizeMemory.Select(m => string.Create(Inv, $"{m.ReferenceKib / 1024.0:N0} MiB at {m.Size:N0}")))
            : "";
        return string.Create(Inv, $"The app's peak RSS was {appKib / 1024.0:N0} MiB against the reference's {referenceKib / 1024.0:N0} MiB{growth}.");
    }

    /// <summary>Why a rate fell as the directory grew: CPU per request at both sizes (grew: more work per request; flat: waiting), and latency.</summary>
    private static string WhyScale(
        (int Size, Scenario Scenario, RunOutcome App, RunOutcome Reference) before,
        (int Size, Scenario Scenario, RunOutcome App, RunOutcome Reference) after, int small, int scale)
    {
        if (before.App.Result is not { } b || after.App.Result is not { } a)
        {
            return $"No measurement: {before.App.Failure ?? after.App.Failure}";
        }

        var cpuBefore = CpuPerRequestMicros(b);
        var cpuAfter = CpuPerRequestMicros(a);
        var growth = cpuBefore > 0 ? cpuAfter / cpuBefore : double.NaN;
        var text = string.Create(Inv, $"A request cost {Micros(cpuAfter)} µs of app CPU at {scale:N0} users against {Micros(cpuBefore)} µs at {small:N0} ({growth:0.00}×)");
        text += growth >= 1.2
            ? ": each request does more work in the larger directory"
            : string.Create(Inv, $": the work per request stayed about the same, so the lower rate is waiting; the server core was {a.ServerCpuPercent:0}% busy against {b.ServerCpuPercent:0}% at {small:N0}");
        if (after.Reference.Result is { } ra && before.Reference.Result is { } rb)
        {
            text += string.Create(Inv, $"; the reference went from {Micros(CpuPerRequestMicros(rb))} to {Micros(CpuPerRequestMicros(ra))} µs");
        }

        return text + string.Create(Inv, $"; p50 {a.P50Ms:0.0} ms against {b.P50Ms:0.0} ms{LockedClause(after.App.Locked)}.");
    }

    private static string LockedClause(int locked) => locked > 0 ? string.Create(Inv, $", with {locked} \"database is locked\" lines in the app's log during it") : "";

    /// <summary>How much of the core a server got, when it was clearly not all of it.</summary>
    private static string Share(WrkResult r) => r.ServerCpuPercent < 85
        ? " (a server that computes keeps its core near 100% busy: the rest is waiting for the write lock, I/O or a core of the shared machine)"
        : "";

    /// <summary>Requests per second one core allows at this CPU cost per request.</summary>
    private static string CapacityPerSecond(WrkResult r) => CpuPerRequestMicros(r) is var cpu and > 0 ? (1e6 / cpu).ToString("N0", Inv) : "n/a";

    private static string Micros(double micros) => double.IsFinite(micros) ? micros.ToString("N0", Inv) : "n/a";

    private static string Short(int size) => size switch
    {
        >= 1_000_000 when size % 1_000_000 == 0 => string.Create(Inv, $"{size / 1_000_000}M"),
        >= 1_000 when size % 1_000 == 0 => string.Create(Inv, $"{size / 1_000}k"),
        _ => size.ToString("N0", Inv),
    };

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
        outcome.Result is { Requests: > 0 } r ? Micros(CpuPerRequestMicros(r)) : "n/a";

    private static double CpuPerRequestMicros(WrkResult r) => r.Requests > 0 ? r.ServerCpuPercent / 100 * r.Seconds * 1e6 / r.Requests : double.NaN;
}
