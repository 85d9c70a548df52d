using System.Net;

namespace IdeaScale.Portal.Tests.Scim.Users;

/// <summary>
/// Issue 11 item 12: many PATCHes of one user at once, without If-Match, over real HTTP on a real SQLite file. The
/// server serialises them: every one succeeds (never 412, which only a stale If-Match may cause) and no change is lost.
/// </summary>
public sealed class UserConcurrencyTests : IClassFixture<KestrelScimFactory>
{
    private const string PatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    private readonly KestrelScimFactory factory;

    public UserConcurrencyTests(KestrelScimFactory factory)
    {
        this.factory = factory;
        // As many requests in flight at once as a many-core server runs: with only this machine's cores' worth of
        // pool threads, SQLite's synchronous I/O lets few requests interleave between reading and saving the user.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }

    [Fact]
    public async Task PatchUser_ManyConcurrentAddsWithoutIfMatch_AllSucceedAndEveryValueIsKept()
    {
        using var client = factory.Scim();
        var id = await client.CreateUserAsync("many.adds@ides.example");
        var values = Enumerable.Range(0, 60).Select(i => $"add{i}@ides.example").ToList();

        var results = await Task.WhenAll(values.Select(value => client.PatchJsonAsync($"/scim/v2/Users/{id}",
            $$"""{"schemas":["{{PatchOp}}"],"Operations":[{"op":"add","path":"emails","value":[{"type":"other","value":"{{value}}"}]}]}""")));

        Assert.All(results, r => Assert.True(r.Response.StatusCode == HttpStatusCode.OK, $"{(int)r.Response.StatusCode}: {r.Body?.ToJsonString()}"));
        var (_, user) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Equal(values.Order(StringComparer.Ordinal), user!["emails"]!.AsArray().Select(e => e!["value"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PatchUser_ConcurrentPatchesOfDifferentAttributes_AllSucceedAndAllArePresent()
    {
        using var client = factory.Scim();
        var id = await client.CreateUserAsync("many.attributes@ides.example");
        const string enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        const string ideascale = "urn:ideascale:params:scim:schemas:extension:2.0:User";
        string[] paths =
        [
            "title", "nickName", "displayName", "userType", "locale", "timezone", "preferredLanguage", "profileUrl",
            "name.givenName", "name.familyName", "name.middleName", "name.honorificPrefix",
            $"{enterprise}:department", $"{enterprise}:costCenter", $"{enterprise}:organization", $"{enterprise}:division",
            $"{enterprise}:employeeNumber", $"{ideascale}:businessUnit", $"{ideascale}:location", $"{ideascale}:jobFunction",
        ];

        // Three rounds, so each attribute is written while the others are.
        var results = new List<(HttpResponseMessage Response, System.Text.Json.Nodes.JsonObject? Body)>();
        for (var round = 0; round < 3; round++)
        {
            var value = round;
            results.AddRange(await Task.WhenAll(paths.Select(path => client.PatchJsonAsync($"/scim/v2/Users/{id}",
                $$"""{"schemas":["{{PatchOp}}"],"Operations":[{"op":"replace","path":"{{path}}","value":"{{path}}-{{value}}"}]}"""))));
        }

        Assert.All(results, r => Assert.True(r.Response.StatusCode == HttpStatusCode.OK, $"{(int)r.Response.StatusCode}: {r.Body?.ToJsonString()}"));
        var (_, user) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        foreach (var path in paths)
        {
            var (container, name) = path.StartsWith("urn:", StringComparison.Ordinal)
                ? (user![path[..path.LastIndexOf(':')]]!, path[(path.LastIndexOf(':') + 1)..])
                : path.Contains('.', StringComparison.Ordinal) ? (user!["name"]!, path[5..]) : (user!, path);
            Assert.Equal($"{path}-2", container[name]?.GetValue<string>());
        }
    }
}
