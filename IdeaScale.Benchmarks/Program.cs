using IdeaScale.Benchmarks;
using IdeaScale.Benchmarks.Load;
using IdeaScale.Benchmarks.Micro;
using IdeaScale.Benchmarks.Reference;

// IdeaScale.Benchmarks <command>:
//   load       the SCIM load benchmark (./bench.sh builds and runs this): app vs reference, writes results/<date>.md
//   reference  the reference server alone (--port N --db path --token T)
//   micro      BenchmarkDotNet micro-benchmarks (filter parser/translation, PATCH engine, SCIM meters); BenchmarkDotNet args follow
return args.FirstOrDefault() switch
{
    "load" => await LoadBenchmark.RunAsync(args[1..]),
    "reference" => await ReferenceServer.RunAsync(args[1..]),
    "micro" => MicroBenchmarks.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: IdeaScale.Benchmarks load|reference|micro [options]  (see README.md, section Performance)");
    return 2;
}
