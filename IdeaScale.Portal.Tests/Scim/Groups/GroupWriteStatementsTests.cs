using System.Net;

namespace IdeaScale.Portal.Tests.Scim.Groups;

/// <summary>
/// How many SQL statements a one-member PATCH of a group runs (the load benchmark's membership figure), prepared by
/// GroupMembershipWriter: the group (on PostgreSQL locked by the same statement), one statement that checks the
/// listed ids and finds which are members already, the membership change, the group's version bump, and one UPDATE
/// of the changed users' version (their ETag: a user shows its groups). None of them reads the member list.
/// </summary>
public sealed class GroupWriteStatementsTests : IClassFixture<ScimFactory>
{
    private readonly ScimFactory factory;
    private readonly HttpClient client;

    public GroupWriteStatementsTests(ScimFactory factory)
    {
        this.factory = factory;
        client = factory.Scim();
    }

    [Fact]
    public async Task PatchGroup_AddOneMember_RunsFiveStatements()
    {
        var (group, _) = await GroupWithMembersAsync("add");
        var newcomer = await client.CreateUserAsync("gstmt.add.newcomer@ides.example");

        var ((response, body), sql) = await WriteStatements.CaptureAsync(factory, () => PatchAsync(group, "add", newcomer));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2", body!["meta"]!["version"]!.GetValue<string>().Trim('W', '/', '"'));
        // Four before the user's ETag followed its groups; the fifth is the UPDATE of the added user's version.
        WriteStatements.AssertCount(5, sql);
        Assert.Single(sql, s => s.Contains("UPDATE \"Members\"", StringComparison.Ordinal));
        Assert.Contains(await MembersAsync(group), m => m == newcomer);
    }

    [Fact]
    public async Task PatchGroup_AddOneMember_LooksTheListedIdsUpByPrimaryKeyOnly()
    {
        var (group, _) = await GroupWithMembersAsync("plan");
        var newcomer = await client.CreateUserAsync("gstmt.plan.newcomer@ides.example");

        var (_, sql) = await WriteStatements.CaptureAsync(factory, () => PatchAsync(group, "add", newcomer));

        // With "WorkspaceId = @ws AND Id IN (…)" SQLite scanned every user of the workspace (issue 6's 100,000-user run).
        // The ids are an IN list of parameters (padded to a power of two, so few texts are prepared).
        var lookup = Assert.Single(sql, s => s.Contains("\"Id\" IN (@", StringComparison.Ordinal) && s.Contains("FROM \"Members\"", StringComparison.Ordinal)
            && !s.StartsWith("UPDATE", StringComparison.Ordinal) && !s.Contains("UPDATE \"Members\"", StringComparison.Ordinal));
        Assert.DoesNotContain("\"WorkspaceId\" = @", lookup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PatchGroup_RemoveOneMember_RunsFiveStatements()
    {
        var (group, members) = await GroupWithMembersAsync("remove");

        var ((response, _), sql) = await WriteStatements.CaptureAsync(factory, () => PatchAsync(group, "remove", members[0]));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The group, the listed ids (which are members, with their names for the provisioning log: one statement per
        // remove operation, however many it removes), the UPDATE of the removed user's version, the DELETE, the group's
        // version.
        WriteStatements.AssertCount(5, sql);
        Assert.Single(sql, s => s.Contains("UPDATE \"Members\"", StringComparison.Ordinal));
        Assert.DoesNotContain(await MembersAsync(group), m => m == members[0]);
    }

    [Fact]
    public async Task PatchGroup_AddExistingMember_ChangesNothing()
    {
        var (group, members) = await GroupWithMembersAsync("again");

        var ((response, body), sql) = await WriteStatements.CaptureAsync(factory, () => PatchAsync(group, "add", members[1]));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", body!["meta"]!["version"]!.GetValue<string>().Trim('W', '/', '"'));
        // Nobody's membership changed: no UPDATE of a user's version either.
        WriteStatements.AssertCount(2, sql);
        Assert.Equal(members.Order(), (await MembersAsync(group)).Order());
    }

    [Fact]
    public async Task PatchGroup_AddUnknownAndGroupIds_RejectsUnknownAndAddsGroup()
    {
        var (group, _) = await GroupWithMembersAsync("mixed");
        var nested = await client.CreateGroupAsync("gstmt nested");

        var (unknown, _) = await PatchAsync(group, "add", Guid.NewGuid().ToString());
        var (added, _) = await PatchAsync(group, "add", nested);

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var (_, full) = await client.GetJsonAsync($"/scim/v2/Groups/{group}");
        Assert.Contains(full!["members"]!.AsArray(), m => m!["value"]!.GetValue<string>() == nested && m["type"]!.GetValue<string>() == "Group");
    }

    private async Task<(string Group, string[] Members)> GroupWithMembersAsync(string name)
    {
        var members = new[]
        {
            await client.CreateUserAsync($"gstmt.{name}.1@ides.example"),
            await client.CreateUserAsync($"gstmt.{name}.2@ides.example"),
        };
        return (await client.CreateGroupAsync($"gstmt {name}", members), members);
    }

    private Task<(HttpResponseMessage Response, System.Text.Json.Nodes.JsonObject? Body)> PatchAsync(string group, string op, string member) =>
        client.PatchJsonAsync($"/scim/v2/Groups/{group}?excludedAttributes=members",
            $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"{{op}}","path":"members","value":[{"value":"{{member}}"}]}]}""");

    private async Task<List<string>> MembersAsync(string group)
    {
        var (_, body) = await client.GetJsonAsync($"/scim/v2/Groups/{group}");
        return body!["members"]?.AsArray().Select(m => m!["value"]!.GetValue<string>()).ToList() ?? [];
    }
}
