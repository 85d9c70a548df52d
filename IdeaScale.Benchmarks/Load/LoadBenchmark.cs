using System.Globalization;
using System.Security.Cryptography;

using IdeaScale.Benchmarks.Reference;

using Microsoft.AspNetCore.WebUtilities;

namespace IdeaScale.Benchmarks.Load;

/// <summary>
/// The IdP-load benchmark of issue 6: starts the published app (fresh SQLite database, or with --provider postgresql
/// a fresh database of its own on the PostgreSQL server of --postgres, provisioning log and
/// last-use tracking on, rate limit off) and the reference server, each pinned to the server core, drives
/// them with wrk pinned to the client core, and writes a Markdown report.
/// Usage (./bench.sh does this): <c>IdeaScale.Benchmarks load --app &lt;publish dir&gt; --work &lt;temp dir&gt; --results &lt;dir&gt;</c>.
/// </summary>
internal sealed class LoadBenchmark
{
    private const string Slug = "ides";

    /// <summary>Settings that turn the provisioning log and last-use tracking off, for the overhead figure.</summary>
    private const string DefaultOffSettings = "Scim:ProvisioningLog:Enabled=false;Scim:LastUse:Enabled=false";

    private readonly LoadSettings settings;
    private readonly string token = "iscim_bench" + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
    private readonly LoadReport report;
    private readonly WrkRunner wrk;
    private readonly PhaseClock clock;
    private readonly Profiler? profiler;
    private int nextUserNumber = 1;

    private LoadBenchmark(LoadSettings settings)
    {
        this.settings = settings;
        report = new LoadReport(settings);
        wrk = new WrkRunner(settings.LuaDirectory, settings.ClientCore, token, settings.WorkDirectory);
        clock = new PhaseClock(wrk, report.AddPhase);
        profiler = settings.Profile ? new Profiler(Path.Combine(settings.ResultsDirectory, $"{RunName}-profiles"), Path.Combine(settings.WorkDirectory, "profiles")) : null;
        if (profiler is not null)
        {
            report.Note($"Profiled run (--profile): perf sampled the app during each measurement, so its rates are a few percent below an unprofiled run's. The profiles are in {Path.GetFileName(profiler.Directory)}/.");
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var options = CommandLine.Parse(args);
        var settings = LoadSettings.From(options);
        Directory.CreateDirectory(settings.WorkDirectory);
        Directory.CreateDirectory(settings.ResultsDirectory);
        var benchmark = new LoadBenchmark(settings);
        var markdown = await benchmark.RunAllAsync();
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Report written to {benchmark.ReportFile}");
        return 0;
    }

    /// <summary>The run's start, and the provider when it is not the default SQLite: results of both providers share a folder.</summary>
    private string RunName => $"{report.Started:yyyy-MM-dd'T'HHmm'Z'}{(settings.Provider == BenchProvider.PostgreSql ? "-postgresql" : "")}";

    private string ReportFile => Path.Combine(settings.ResultsDirectory, $"{RunName}{(profiler is not null ? "-profiled" : "")}.md");

    /// <summary>Writes the report as it stands: after every phase, so a run cut short still leaves its figures.</summary>
    private async Task<string> WriteReportAsync()
    {
        var markdown = report.ToMarkdown();
        await File.WriteAllTextAsync(ReportFile, markdown);
        Log($"report written to {ReportFile}");
        return markdown;
    }

    private async Task<string> RunAllAsync()
    {
        // SQLite: a file per server. PostgreSQL: a database per server, named after the run (the app creates and migrates its own).
        var appDbPath = Path.Combine(settings.WorkDirectory, "app", "portal.db");
        Directory.CreateDirectory(Path.GetDirectoryName(appDbPath)!);
        var suffix = BenchProviders.RunSuffix(report.Started);
        var postgres = settings.Provider == BenchProvider.PostgreSql
            ? settings.PostgresConnection ?? throw new ArgumentException("--provider postgresql needs --postgres \"Host=...;Port=...;Username=...\" (bench.sh starts a cluster and passes it).")
            : null;
        var appDb = postgres is not null
            ? BenchProviders.PostgreSqlDatabase(postgres, $"ideascale_bench_app_{suffix}")
            : $"Data Source={appDbPath}";
        var refDb = postgres is not null
            ? BenchProviders.PostgreSqlDatabase(postgres, $"ideascale_bench_ref_{suffix}")
            : Path.Combine(settings.WorkDirectory, "reference.db");

        if (settings.PrepareSeconds is { } prepare)
        {
            report.AddPhase(new PhaseTiming("bench.sh: publish the app, build the benchmark (and install packages, start PostgreSQL)", TimeSpan.FromSeconds(prepare), null, 0, 0, 0));
        }

        ServerProcess app, reference;
        using (clock.Start("start the app (first start: creates and migrates its database)"))
        {
            app = await StartAppAsync("app", settings.AppPort, appDb, logAndLastUse: true);
            clock.Track(app);
        }

        await using var appLifetime = app;
        using (clock.Start("start the reference"))
        {
            reference = await StartReferenceAsync(refDb);
            clock.Track(reference);
        }

        await using var referenceLifetime = reference;
        using var referenceDb = new ReferenceDatabase(settings.Provider, refDb);
        var db = new AppDatabase(settings.Provider, postgres is not null ? appDb : $"Data Source={appDbPath};Pooling=False");
        var workspaceId = db.WorkspaceId(Slug);
        using var setup = new ScimSetupClient(app.BaseUri, token);
        string? group10 = null, group10k = null;

        foreach (var size in settings.Sizes)
        {
            try
            {
                (group10, group10k) = await RunSizeAsync(app, reference, db, workspaceId, setup, size, appDb, postgres is not null ? appDb : appDbPath, referenceDb, group10, group10k);
            }
            catch (Exception e) when (e is InvalidOperationException or System.Data.Common.DbException or HttpRequestException or IOException)
            {
                report.Note($"The {size:N0}-user phase stopped: {e.GetType().Name}: {e.Message}");
                Log($"phase failed: {e}");
            }

            report.SetMemory(app.PeakRssKib(), reference.PeakRssKib());
            await WriteReportAsync();
        }

        if (settings.ScaleUsers > 0)
        {
            try
            {
                await RunScaleAsync(app, reference, db, workspaceId, setup, postgres is not null ? appDb : appDbPath, referenceDb);
            }
            catch (Exception e) when (e is InvalidOperationException or System.Data.Common.DbException or HttpRequestException or IOException)
            {
                report.Note($"The {settings.ScaleUsers:N0}-user scale phase stopped: {e.GetType().Name}: {e.Message}");
                Log($"scale phase failed: {e}");
            }
        }

        report.SetMemory(app.PeakRssKib(), reference.PeakRssKib());
        report.SetLockedErrors(CountLocked(app.LogPath));
        return await WriteReportAsync();
    }

    private async Task<(string? Group10, string? Group10k)> RunSizeAsync(
        ServerProcess app, ServerProcess reference, AppDatabase db, Guid workspaceId, ScimSetupClient setup, int size,
        string appDb, string appImportSource, ReferenceDatabase referenceDb, string? group10, string? group10k)
    {
        Log($"== {size:N0} users");
        await ProvisionAsync(app, db, workspaceId, size);

        List<(string Id, string UserName)> users;
        using (clock.Start($"{size:N0} users: read the user list"))
        {
            users = db.BenchUsers(workspaceId);
        }

        var usersFile = Path.Combine(settings.WorkDirectory, $"users-{size}.txt");
        AppDatabase.WriteList(usersFile, users);
        if (users.Count == 0)
        {
            report.Note($"{size:N0} users: provisioning created no users; the request scenarios were skipped.");
            return (group10, group10k);
        }

        if (await setup.StatusOfAsync($"Users/{users[0].Id}") != 200)
        {
            report.Note($"{size:N0} users: GET /Users/{{id}} of a provisioned user did not answer 200; ids in the list may not match the API's.");
        }

        if ((group10 is null || group10k is null) && (Selected("patch10") || Selected("patch10k") || Selected("group-get")))
        {
            try
            {
                using var phase = clock.Start($"{size:N0} users: create the 10- and the 10,000-member group through the API");
                Log("creating the 10-member and the 10,000-member group");
                group10 = await setup.CreateGroupAsync("bench-10-members");
                await setup.AddMembersAsync(group10, users.Take(10).Select(u => u.Id));
                group10k = await setup.CreateGroupAsync("bench-10000-members");
                await setup.AddMembersAsync(group10k, users.Take(10_000).Select(u => u.Id));
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
            {
                report.Note($"Group setup failed: {e.Message}");
            }
        }

        var pool10 = Path.Combine(settings.WorkDirectory, $"pool-group10-{size}.txt");
        AppDatabase.WriteList(pool10, users.Skip(10));
        var pool10k = Path.Combine(settings.WorkDirectory, "pool-group10k.txt");
        AppDatabase.WriteList(pool10k, users.Take(10_000));
        if (group10 is not null && group10k is not null)
        {
            report.Note($"{size:N0} users: group sizes before the PATCH runs: {db.CountGroupMembers(group10)} and {db.CountGroupMembers(group10k):N0} members.");
        }

        Log("copying the users and groups into the reference database");
        long referenceUsers;
        using (clock.Start($"{size:N0} users: copy the users and groups into the reference"))
        {
            referenceUsers = referenceDb.ImportFromApp(appImportSource, workspaceId);
        }

        var total = db.CountMembers(workspaceId);
        report.Note($"{size:N0} users: the workspace holds {total:N0} users in the app and {referenceUsers:N0} in the reference (the 6 demo users included).");

        var scenarios = new List<Scenario>
        {
            new("filter", "GET /Users?filter=userName eq \"<random>\"", ["filter", usersFile]),
            new("id", "GET /Users/{id}", ["id", usersFile]),
            new("page", "GET /Users?startIndex=<random>&count=100", ["page", usersFile, total.ToString(CultureInfo.InvariantCulture)]),
        };
        if (group10 is not null && group10k is not null)
        {
            scenarios.Add(new("patch10", "PATCH /Groups/{id}: add/remove 1 member, 10-member group", ["group-patch", pool10, group10, "add-first"]));
            scenarios.Add(new("patch10k", "PATCH /Groups/{id}: add/remove 1 member, 10,000-member group", ["group-patch", pool10k, group10k, "remove-first"]));
            scenarios.Add(new("group-get", "GET /Groups/{id}?excludedAttributes=members (10,000 members)", ["group-get", usersFile, group10k]));
        }

        scenarios.Add(new("mixed", "Entra-like sync: lookup by userName, then PATCH the user (Entra's default form)", ["mixed", usersFile]));
        scenarios.Add(new("cursor", "GET /Users?cursor=<next>&count=100 (RFC 9865 walk)", ["cursor", usersFile]));
        scenarios.Add(new("user-patch", "PATCH /Users/{id} (Entra's default form: Replace title, Add work email, active \"True\"/\"False\")", ["user-patch", usersFile]));
        scenarios.Add(new("okta-sync", "Okta-like sync: lookup by userName (startIndex=1&count=100), then PUT the full user", ["okta-sync", usersFile]));
        scenarios.Add(new("okta-import", "Okta import walk: GET /Users?startIndex=1,101,201,…&count=100 in order, 1 client", ["okta-import", usersFile, total.ToString(CultureInfo.InvariantCulture)], Connections: 1));
        // Last: it adds users to both databases (numbers beyond every provisioned one).
        scenarios.Add(new("create", "POST /Users (Entra's full create body)", [], Script: "create.lua"));

        // The first size warms up longer: both servers' code paths reach tier-1 JIT before they are measured.
        var warmup = size == settings.Sizes[0] ? settings.FirstWarmup : settings.Warmup;
        foreach (var scenario in scenarios.Where(s => Selected(s.Key)))
        {
            using var phase = clock.Start($"{size:N0} users: {scenario.Key} (app and reference, warm-up and measurement)", ExpectedScenarioSeconds(warmup));
            var appResult = await MeasureAsync(app, scenario, warmup, size);
            var refResult = await MeasureAsync(reference, scenario, warmup, size);
            report.AddScenario(size, scenario, appResult, refResult);
        }

        report.SetSizeMemory(size, app.PeakRssKib(), reference.PeakRssKib());
        // The log's overhead at the largest size only (where it is largest), so the whole run stays under 15 minutes.
        if (size == settings.Sizes.Max() && Selected("overhead"))
        {
            var lookups = scenarios.Take(3).ToList();
            using var phase = clock.Start($"{size:N0} users: log overhead pair (two fresh app instances: start, warm-up, 2 rounds off/on)", ExpectedOverheadSeconds(lookups.Count));
            await MeasureOverheadAsync(appDb, size, lookups);
        }

        return (group10, group10k);
    }

    /// <summary>
    /// Issue 14 part 5: the directory grown to --scale-users users (inserted directly, as beyond the provisioning
    /// window) and a 100,000-member group (added through the API in batches), then the scenarios whose cost must stay
    /// flat: lookup by userName, GET by id, a one-member PATCH of the 100,000-member group, a cursor page of 100; the
    /// report compares each with the same scenario at the first size, and the peak RSS of both servers.
    /// </summary>
    private async Task RunScaleAsync(ServerProcess app, ServerProcess reference, AppDatabase db, Guid workspaceId, ScimSetupClient setup,
        string appImportSource, ReferenceDatabase referenceDb)
    {
        var size = settings.ScaleUsers;
        Log($"== scale: {size:N0} users");
        var existing = db.BenchUsers(workspaceId).Count;
        if (existing < size)
        {
            Log($"inserting {size - existing:N0} users directly into the app's database");
            BulkInsertResult result;
            using (clock.Start($"scale: insert {size - existing:N0} users directly (set-based, indexes re-created)"))
            {
                result = db.BulkInsertUsers(workspaceId, nextUserNumber, size - existing);
            }

            nextUserNumber += result.Inserted + 100;
            report.Note($"Scale phase: inserted directly into the app's database (up to {size:N0}): {result.Describe()}; the indexes match the migrations' definitions (checked after the commit).");
            Log($"inserted {result.Describe()}");
        }

        if (!ScaleScenarioKeys.Any(Selected))
        {
            return;
        }

        List<(string Id, string UserName)> users, sample;
        var usersFile = Path.Combine(settings.WorkDirectory, $"users-{size}.txt");
        using (clock.Start("scale: read the user list, write a random sample of 100,000"))
        {
            users = db.BenchUsers(workspaceId);
            // Lookups pick from a random sample spread over the whole directory (wrk holds the list in memory).
            sample = users.OrderBy(_ => Random.Shared.Next()).Take(100_000).ToList();
            AppDatabase.WriteList(usersFile, sample);
        }

        Log("creating the 100,000-member group");
        string group;
        var members = users.Skip(users.Count - 100_000).ToList(); // the newest users, none of them in the other groups
        using (clock.Start($"scale: create the {members.Count:N0}-member group through the API (PATCHes of 2,000 members)"))
        {
            group = await setup.CreateGroupAsync("bench-100000-members");
            await setup.AddMembersAsync(group, members.Select(u => u.Id), batch: 2000);
        }

        var pool = Path.Combine(settings.WorkDirectory, "pool-group100k.txt");
        AppDatabase.WriteList(pool, members);
        report.Note($"Scale phase: the group has {db.CountGroupMembers(group):N0} members.");

        Log("copying the users and groups into the reference database");
        long referenceUsers;
        using (clock.Start("scale: copy the users and groups into the reference"))
        {
            referenceUsers = referenceDb.ImportFromApp(appImportSource, workspaceId);
        }

        report.Note($"Scale phase: the workspace holds {db.CountMembers(workspaceId):N0} users in the app and {referenceUsers:N0} in the reference.");

        foreach (var scenario in new Scenario[]
        {
            new("filter", "GET /Users?filter=userName eq \"<random>\"", ["filter", usersFile]),
            new("id", "GET /Users/{id}", ["id", usersFile]),
            new("patch100k", "PATCH /Groups/{id}: add/remove 1 member, 100,000-member group", ["group-patch", pool, group, "remove-first"]),
            new("cursor", "GET /Users?cursor=<next>&count=100 (RFC 9865 walk)", ["cursor", usersFile]),
        })
        {
            if (!Selected(scenario.Key))
            {
                continue;
            }

            using var phase = clock.Start($"scale: {scenario.Key} (app and reference, warm-up and measurement)", ExpectedScenarioSeconds(settings.Warmup));
            var appResult = await MeasureAsync(app, scenario, settings.Warmup, size);
            var refResult = await MeasureAsync(reference, scenario, settings.Warmup, size);
            report.AddScenario(size, scenario, appResult, refResult);
        }

        report.SetSizeMemory(size, app.PeakRssKib(), reference.PeakRssKib());
    }

    /// <summary>
    /// What a scenario takes on an idle machine: a warm-up run and a measured run on each server (wrk rounds its
    /// duration up to whole seconds), plus about 0.1 s per wrk run for its start, script load and result parse
    /// (0.05 s measured on a loaded machine).
    /// </summary>
    private double ExpectedScenarioSeconds(TimeSpan warmup) =>
        2 * (Math.Ceiling(warmup.TotalSeconds) + Math.Ceiling(settings.Duration.TotalSeconds) + 0.2);

    /// <summary>The overhead pair: two app starts (about 8 s each when idle), a first-size warm-up per lookup on each, then two off/on rounds.</summary>
    private double ExpectedOverheadSeconds(int lookups) =>
        (2 * 8) + (lookups * 2 * (Math.Ceiling(settings.FirstWarmup.TotalSeconds) + 0.1)) + (lookups * 4 * (Math.Ceiling(settings.Duration.TotalSeconds) + 0.1));

    private static readonly string[] ScaleScenarioKeys = ["filter", "id", "patch100k", "cursor"];

    /// <summary>Whether --scenarios (a comma-separated list of scenario keys, "overhead" for the log's overhead) includes the key; all when not given.</summary>
    private bool Selected(string key) => settings.Scenarios is null || settings.Scenarios.Contains(key);

    /// <summary>
    /// POST /Users with 1 client, then with 8 clients up to <paramref name="size"/> users; each run is capped in time
    /// (--provision-seconds) so the whole run stays under 15 minutes even when provisioning is slow (1 client: a third of the cap). Users
    /// still missing then are inserted straight into the app's database (reported).
    /// </summary>
    private async Task ProvisionAsync(ServerProcess app, AppDatabase db, Guid workspaceId, int size)
    {
        var existing = db.BenchUsers(workspaceId).Count;
        var oneClient = Math.Min(settings.OneClientUsers, Math.Max(0, size - existing));
        foreach (var (clients, planned, cap) in new[]
        {
            (1, oneClient, settings.ProvisionSeconds / 3),
            (settings.Connections, size - existing - oneClient, settings.ProvisionSeconds),
        })
        {
            var count = clients == 1 ? planned : size - existing;
            if (count <= 0)
            {
                continue;
            }

            Log($"provisioning {count:N0} users with {clients} client(s), at most {cap} s");
            using var phase = clock.Start($"{size:N0} users: provisioning through POST /Users, {clients} client(s) (capped at {cap} s)", cap);
            var lockedBefore = CountLocked(app.LogPath);
            var before = db.BenchUsers(workspaceId).Count;
            var start = nextUserNumber;
            // The script stops after <count> responses; up to (clients - 1) more requests may be in flight then.
            nextUserNumber += count + 100;
            try
            {
                Task<WrkResult> Provision() => wrk.RunScriptAsync("create.lua", app, clients, TimeSpan.FromSeconds(cap),
                    start.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture));
                var result = await ProfiledAsync(clients > 1 ? app : null, $"{size}-provisioning", $"Provisioning through POST /Users with {clients} clients, up to {size:N0} users", Provision);
                var created = db.BenchUsers(workspaceId).Count - before;
                report.AddProvisioning(size, clients, created, result, CountLocked(app.LogPath) - lockedBefore);
                existing += created;
            }
            catch (InvalidOperationException e)
            {
                report.Note($"Provisioning with {clients} client(s) failed: {e.Message}");
                existing = db.BenchUsers(workspaceId).Count;
            }
        }

        if (existing < size && existing > 0)
        {
            Log($"inserting the remaining {size - existing:N0} users directly into the app's database");
            BulkInsertResult result;
            using (clock.Start($"{size:N0} users: insert the {size - existing:N0} users provisioning did not reach directly"))
            {
                result = db.BulkInsertUsers(workspaceId, nextUserNumber, size - existing);
            }

            nextUserNumber += result.Inserted + 100;
            report.Note($"Up to {size:N0}: {result.Inserted:N0} users were inserted directly into the app's database because POST /Users did not reach {size:N0} within the time cap ({settings.ProvisionSeconds} s): {result.Describe()}.");
        }
    }

    private async Task<RunOutcome> MeasureAsync(ServerProcess server, Scenario scenario, TimeSpan warmup, int size)
    {
        try
        {
            Log($"{server.Name}: {scenario.Title}");
            var connections = scenario.Connections ?? settings.Connections;
            await wrk.RunScriptAsync(scenario.Script, server, connections, warmup, ArgumentsFor(scenario));
            var lockedBefore = CountLocked(server.LogPath);
            var arguments = ArgumentsFor(scenario);
            Task<WrkResult> Run() => wrk.RunScriptAsync(scenario.Script, server, connections, settings.Duration, arguments);
            var result = await ProfiledAsync(server.Name == "app" ? server : null, $"{size}-{scenario.Key}", $"{scenario.Title}, {size:N0} users, {connections} connections", Run);
            return new RunOutcome(result, null, CountLocked(server.LogPath) - lockedBefore);
        }
        catch (InvalidOperationException e)
        {
            return new RunOutcome(null, e.Message);
        }
    }

    /// <summary>
    /// The scenario's script arguments; create.lua gets a fresh range of user numbers per run (app and reference
    /// alike: each has its own database), bounded by time, not by count.
    /// </summary>
    private string[] ArgumentsFor(Scenario scenario)
    {
        if (scenario.Script != "create.lua")
        {
            return scenario.Arguments;
        }

        var start = nextUserNumber;
        nextUserNumber += 1_000_000;
        return [start.ToString(CultureInfo.InvariantCulture), "1000000000"];
    }

    /// <summary>
    /// The lookups again, on two fresh app instances over the same database, one with the log and last-use tracking
    /// on and one with them off, so the pair differs in nothing else (the main instance has served the whole run,
    /// provisioning included, and an earlier run compared that long-lived process with a fresh one: its gap was
    /// twice the log's). Both are warmed up on every lookup first; then each lookup alternates off/on twice and the
    /// requests of both rounds are summed, so a drift of the machine hits both sides alike.
    /// </summary>
    private async Task MeasureOverheadAsync(string appDb, int size, List<Scenario> lookups)
    {
        ServerProcess? off = null;
        ServerProcess? app = null;
        try
        {
            Log("starting two fresh app instances: provisioning log and last-use tracking on, and off");
            app = await StartAppAsync("app-log-on", settings.AppPort + 3, appDb, logAndLastUse: true);
            clock.Track(app);
            off = await StartAppAsync("app-log-off", settings.AppPort + 2, appDb, logAndLastUse: false);
            clock.Track(off);
            foreach (var scenario in lookups)
            {
                await wrk.RunAsync(app, settings.Connections, settings.FirstWarmup, scenario.Arguments);
                await wrk.RunAsync(off, settings.Connections, settings.FirstWarmup, scenario.Arguments);
            }

            foreach (var scenario in lookups)
            {
                Log($"log off / on: {scenario.Title}");
                var offRuns = new List<WrkResult>();
                var onRuns = new List<WrkResult>();
                for (var round = 0; round < 2; round++)
                {
                    // A profiled run samples the first round of each side: the two profiles differ by the log's work.
                    offRuns.Add(await ProfiledAsync(off, round == 0 ? $"{size}-{scenario.Key}-log-off" : null, $"{scenario.Title}, {size:N0} users, provisioning log and last-use tracking off",
                        () => wrk.RunAsync(off, settings.Connections, settings.Duration, scenario.Arguments)));
                    onRuns.Add(await ProfiledAsync(app, round == 0 ? $"{size}-{scenario.Key}-log-on" : null, $"{scenario.Title}, {size:N0} users, provisioning log and last-use tracking on",
                        () => wrk.RunAsync(app, settings.Connections, settings.Duration, scenario.Arguments)));
                }

                report.AddOverhead(size, scenario, new RunOutcome(Combine(onRuns), null), new RunOutcome(Combine(offRuns), null));
            }

            report.SetOffMemory(off.PeakRssKib());
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            report.Note($"Overhead measurement failed: {e.Message}");
        }
        finally
        {
            if (off is not null)
            {
                await off.DisposeAsync();
            }

            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// <paramref name="measure"/>, sampled by perf when the run is profiled (--profile) and <paramref name="server"/>
    /// and <paramref name="label"/> are given (the app's measurements; never the reference's or a warm-up).
    /// </summary>
    private Task<WrkResult> ProfiledAsync(ServerProcess? server, string? label, string title, Func<Task<WrkResult>> measure) =>
        profiler is not null && server is not null && label is not null ? profiler.AroundAsync(server, label, title, measure) : measure();

    /// <summary>Several runs of one scenario as one: requests and time summed, latencies and CPU of the worst run.</summary>
    private static WrkResult Combine(List<WrkResult> runs) => new(
        runs.Sum(r => r.Requests), runs.Sum(r => r.Seconds), runs.Sum(r => r.StatusErrors), runs.Sum(r => r.SocketErrors),
        runs.Max(r => r.P50Ms), runs.Max(r => r.P90Ms), runs.Max(r => r.P99Ms), runs.Max(r => r.ClientCpuPercent), runs.Average(r => r.ServerCpuPercent));

    /// <summary>Starts an app instance over <paramref name="connectionString"/> (the provider's ConnectionStrings:Portal).</summary>
    private Task<ServerProcess> StartAppAsync(string name, int port, string connectionString, bool logAndLastUse)
    {
        var url = $"http://127.0.0.1:{port}";
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = url,
            ["Database__Provider"] = settings.Provider.AppSetting(),
            ["ConnectionStrings__Portal"] = connectionString,
            ["DataProtection__KeysPath"] = Path.Combine(settings.WorkDirectory, "app", "keys"),
            ["Seed__AdminPassword"] = "Bench-Admin-1!",
            ["Seed__CsmPassword"] = "Bench-Csm-1!",
            [$"Seed__Workspaces__{Slug}__ScimToken"] = token,
            [$"Seed__Workspaces__{Slug}__PublicUrl"] = $"http://127.0.0.1:{settings.AppPort}",
            ["Scim__RateLimit__RequestsPerSecond"] = "0",
        };
        foreach (var (key, value) in profiler is not null ? Profiler.AppEnvironment : new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        if (!logAndLastUse)
        {
            foreach (var setting in settings.OffSettings.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var (key, value) = (setting[..setting.IndexOf('=', StringComparison.Ordinal)], setting[(setting.IndexOf('=', StringComparison.Ordinal) + 1)..]);
                environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
        }

        Log($"starting {name} on {url} (core {settings.ServerCore})");
        return ServerProcess.StartAsync(name, settings.ServerCore, "dotnet", [Path.Combine(settings.AppDirectory, "IdeaScale.Portal.dll")],
            settings.AppDirectory, environment, new Uri(url + "/"), "health/live", Path.Combine(settings.WorkDirectory, name + ".log"));
    }

    private Task<ServerProcess> StartReferenceAsync(string database)
    {
        var port = settings.AppPort + 1;
        var url = $"http://127.0.0.1:{port}";
        Log($"starting the reference on {url} (core {settings.ServerCore})");
        return ServerProcess.StartAsync("reference", settings.ServerCore, "dotnet",
            [typeof(LoadBenchmark).Assembly.Location, "reference", "--port", port.ToString(CultureInfo.InvariantCulture), "--provider", settings.Provider.ToString(), "--db", database, "--token", token],
            settings.WorkDirectory, new Dictionary<string, string>(), new Uri(url + "/"), "health", Path.Combine(settings.WorkDirectory, "reference.log"));
    }

    private static int CountLocked(string logPath)
    {
        using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var count = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Contains("database is locked", StringComparison.OrdinalIgnoreCase))
            {
                count++;
            }
        }

        return count;
    }

    private static void Log(string message) => Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");

    internal sealed record LoadSettings(
        string AppDirectory, string WorkDirectory, string ResultsDirectory, string LuaDirectory, IReadOnlyList<int> Sizes,
        int Connections, TimeSpan Duration, TimeSpan Warmup, TimeSpan FirstWarmup, int ServerCore, int ClientCore, int AppPort, int OneClientUsers, int ProvisionSeconds,
        string OffSettings, string Commit, BenchProvider Provider, string? PostgresConnection, int ScaleUsers, IReadOnlySet<string>? Scenarios,
        double? PrepareSeconds, bool Profile)
    {
        public static LoadSettings From(CommandLine o)
        {
            int Int(string name, int fallback) => o[name] is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
            var baseDirectory = AppContext.BaseDirectory;
            return new LoadSettings(
                Path.GetFullPath(o.Require("app")),
                Path.GetFullPath(o["work"] ?? Path.Combine(Path.GetTempPath(), "ideascale-bench")),
                Path.GetFullPath(o["results"] ?? "results"),
                Path.GetFullPath(o["lua"] ?? Path.Combine(baseDirectory, "wrk")),
                (o["sizes"] ?? "10000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList(),
                Int("connections", 8),
                // Defaults sized so the whole default run fits in 15 minutes on an idle 2-core machine (bench.sh lists
                // the expected time per phase): each measurement 3 s after a warm-up of the same scenario.
                TimeSpan.FromSeconds(Int("duration", 3)),
                TimeSpan.FromSeconds(Int("warmup", 2)),
                TimeSpan.FromSeconds(Int("first-warmup", 4)),
                Int("server-core", 0),
                Int("client-core", 1),
                Int("port", 5301),
                Int("one-client-users", 1000),
                Int("provision-seconds", 30),
                o["off-settings"] ?? DefaultOffSettings,
                o["commit"] ?? "",
                BenchProviders.Parse(o["provider"]),
                o["postgres"],
                Int("scale-users", 1_000_000),
                o["scenarios"] is { } keys ? keys.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase) : null,
                o["prepare-seconds"] is { } p ? double.Parse(p, CultureInfo.InvariantCulture) : null,
                o["profile"] is "true");
        }
    }
}

/// <summary>One request scenario: its key, its title in the report, its wrk script's arguments, and (when not the run's) the number of connections.</summary>
internal sealed record Scenario(string Key, string Title, string[] Arguments, int? Connections = null, string Script = "scim.lua");

/// <summary>A measurement, or why there is none; with the "database is locked" lines the server logged during it.</summary>
internal sealed record RunOutcome(WrkResult? Result, string? Failure, int Locked = 0);
