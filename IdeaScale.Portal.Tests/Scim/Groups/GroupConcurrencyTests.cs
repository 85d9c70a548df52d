using System.Net;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Scim.Groups;

/// <summary>Found by the load benchmark: parallel membership PATCHes of one group answered 412 once retries ran out.</summary>
public sealed class GroupConcurrencyTests(ScimFactory factory, KestrelScimFactory kestrel) : IClassFixture<ScimFactory>, IClassFixture<KestrelScimFactory>
{
    /// <summary>Issue 11 item 12, over real HTTP: concurrent PATCHes without If-Match, each adding another member and renaming.</summary>
    [Fact]
    public async Task PatchGroup_ConcurrentAddsAndRenamesOverHttp_AllSucceedAndEveryMemberIsKept()
    {
        using var client = kestrel.Scim();
        var users = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            users.Add(await client.CreateUserAsync($"http.parallel.{i}@ides.example"));
        }

        var group = await client.CreateGroupAsync("Http Parallel Group");
        var results = await Task.WhenAll(users.Select((user, i) => client.PatchJsonAsync($"/scim/v2/Groups/{group}?excludedAttributes=members",
            $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"{{user}}"}]},{"op":"replace","path":"externalId","value":"ext-{{i}}"}]}""")));

        Assert.All(results, r => Assert.True(r.Response.StatusCode == HttpStatusCode.OK, $"{(int)r.Response.StatusCode}: {r.Body?.ToJsonString()}"));
        var (_, body) = await client.GetJsonAsync($"/scim/v2/Groups/{group}");
        Assert.Equal(users.Order(StringComparer.Ordinal), body!["members"]!.AsArray().Select(m => m!["value"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.StartsWith("ext-", body["externalId"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PatchGroup_ParallelMembershipChangesWithoutIfMatch_AllSucceed()
    {
        var client = factory.Scim();
        var users = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            users.Add(await client.CreateUserAsync($"parallel.{i}@ides.example"));
        }

        var group = await client.CreateGroupAsync("Parallel Group");
        var statuses = new List<HttpStatusCode>();
        foreach (var op in new[] { "Add", "Remove", "Add" })
        {
            var results = await Task.WhenAll(users.Select(user => client.PatchJsonAsync($"/scim/v2/Groups/{group}?excludedAttributes=members",
                $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"{{op}}","path":"members","value":[{"$ref":null,"value":"{{user}}"}]}]}""")));
            statuses.AddRange(results.Select(r => r.Response.StatusCode));
        }

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        var groupId = Guid.Parse(group);
        Assert.Equal(users.Count, await factory.WithDbAsync(db => db.GroupMemberships.CountAsync(m => m.GroupId == groupId)));
    }
}
