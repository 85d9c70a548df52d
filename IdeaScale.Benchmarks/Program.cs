using IdeaScale.Benchmarks;
using IdeaScale.Benchmarks.Load;
using IdeaScale.Benchmarks.Micro;
using IdeaScale.Benchmarks.Reference;

// IdeaScale.Benchmarks <command>:
//   load       the SCIM load benchmark (./bench.sh builds and runs this): app vs reference, writes results/<date>.md
//   reference  the reference server alone (--port N --db path --token T)
//   bulk-insert the scale phase's direct insertion alone, timed (--provider sqlite|postgresql --db <connection string> --count N [--first 50000000: the first user number])
//   profile    the summary of a perf.data file a --profile run kept (--data <work>/run/profiles/<size>-<scenario>.perf.data [--title T] [--requests N: µs per request])
//   micro      BenchmarkDotNet micro-benchmarks (filter parser/translation, PATCH engine, SCIM meters); BenchmarkDotNet args follow
return args.FirstOrDefault() switch
{
    "load" => await LoadBenchmark.RunAsync(args[1..]),
    "reference" => await ReferenceServer.RunAsync(args[1..]),
    "bulk-insert" => BulkInsert(IdeaScale.Benchmarks.CommandLine.Parse(args[1..])),
    "micro" => MicroBenchmarks.Run(args[1..]),
    "profile" => await Profile(IdeaScale.Benchmarks.CommandLine.Parse(args[1..])),
    _ => Usage(),
};

// Into the "ides" workspace of an app database that holds at least one user the benchmark created through the API.
static int BulkInsert(IdeaScale.Benchmarks.CommandLine options)
{
    var db = new AppDatabase(BenchProviders.Parse(options["provider"]), options.Require("db"));
    var workspaceId = db.WorkspaceId("ides");
    var before = db.CountMembers(workspaceId);
    var result = db.BulkInsertUsers(workspaceId, int.Parse(options["first"] ?? "50000000", System.Globalization.CultureInfo.InvariantCulture), int.Parse(options.Require("count"), System.Globalization.CultureInfo.InvariantCulture));
    Console.WriteLine(System.FormattableString.Invariant($"inserted {result.Describe()} ({before:N0} → {db.CountMembers(workspaceId):N0})"));
    return 0;
}

// The summary of a perf.data file that a --profile run kept in its work folder (<work>/run/profiles/).
static async Task<int> Profile(IdeaScale.Benchmarks.CommandLine options)
{
    Console.WriteLine(await Profiler.SummariseAsync(options.Require("data"), options["title"] ?? Path.GetFileNameWithoutExtension(options.Require("data")),
        long.Parse(options["requests"] ?? "0", System.Globalization.CultureInfo.InvariantCulture)));
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: IdeaScale.Benchmarks load|reference|bulk-insert|profile|micro [options]  (see README.md, section Performance)");
    return 2;
}
