using BenchmarkDotNet.Attributes;
using IdeaScale.Portal.Workspaces;

namespace IdeaScale.Benchmarks.Micro;

/// <summary>The per-request token work: hashing the presented token and the constant-time comparison.</summary>
[MemoryDiagnoser]
public class TokenHashBenchmarks
{
    private readonly string token = ScimCredentials.NewToken();
    private string hash = "";

    [GlobalSetup]
    public void Setup() => hash = ScimCredentials.Hash(token);

    [Benchmark]
    public string Hash() => ScimCredentials.Hash(token);

    [Benchmark]
    public bool Matches() => ScimCredentials.Matches(token, hash);
}
