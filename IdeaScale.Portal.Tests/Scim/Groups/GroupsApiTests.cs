using System.Net;

using IdeaScale.Portal.Scim.Logging;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Scim.Groups;

public sealed class GroupsApiTests : IClassFixture<ScimFactory>
{
    private readonly ScimFactory factory;
    private readonly HttpClient client;

    public GroupsApiTests(ScimFactory factory)
    {
        this.factory = factory;
        client = factory.Scim();
    }

    [Fact]
    public async Task CreateGroup_WithMembersAndEntraSchema_Returns201WithMembers()
    {
        var user = await client.CreateUserAsync("g.member@ides.example", "\"displayName\":\"G Member\"");
        var (response, body) = await client.PostJsonAsync("/scim/v2/Groups", $$"""
            {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
             "externalId":"g-ext","displayName":"Created Group","members":[{"value":"{{user}}"}]}
            """);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(body!["meta"]!["location"]!.GetValue<string>(), response.Headers.Location!.ToString());
        Assert.Equal($"{ScimFactory.IdesBase}/Groups/{body["id"]}", body["meta"]!["location"]!.GetValue<string>());
        var member = body["members"]![0]!;
        Assert.Equal(user, member["value"]!.GetValue<string>());
        Assert.Equal($"{ScimFactory.IdesBase}/Users/{user}", member["$ref"]!.GetValue<string>());
        Assert.Equal("G Member", member["display"]!.GetValue<string>());
        Assert.Equal("User", member["type"]!.GetValue<string>());

        var (_, userBody) = await client.GetJsonAsync($"/scim/v2/Users/{user}");
        Assert.Equal(body["id"]!.GetValue<string>(), userBody!["groups"]![0]!["value"]!.GetValue<string>());
        Assert.Equal("Created Group", userBody["groups"]![0]!["display"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateGroup_DuplicateDisplayName_Returns409() =>
        ScimHttp.AssertError(await client.PostJsonAsync("/scim/v2/Groups", """{"displayName":"ENGINEERING"}"""), 409, "uniqueness");

    [Fact]
    public async Task CreateGroup_MemberOfAnotherWorkspace_Returns400InvalidValue()
    {
        var acmeUser = await factory.Scim(ScimFactory.AcmeToken).CreateUserAsync("foreign@acme.example");
        ScimHttp.AssertError(await client.PostJsonAsync("/scim/v2/Groups", $$"""{"displayName":"Foreign","members":[{"value":"{{acmeUser}}"}]}"""), 400, "invalidValue");
        Assert.False(await factory.WithDbAsync(db => db.Groups.AnyAsync(g => g.DisplayName == "Foreign")));
    }

    [Fact]
    public async Task PatchGroup_AddThenRemoveListed_RemovesOnlyListedAndNeverEmpties()
    {
        var a = await client.CreateUserAsync("m.a@ides.example");
        var b = await client.CreateUserAsync("m.b@ides.example");
        var c = await client.CreateUserAsync("m.c@ides.example");
        var group = await client.CreateGroupAsync("Delta Group", a);

        var (added, _) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}",
            $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"{{b}}"},{"$ref":null,"value":"{{c}}"},{"value":"{{a}}"}]}]}""");
        Assert.Equal(HttpStatusCode.NoContent, added.StatusCode);
        Assert.Equal(3, await MemberCountAsync(group));

        var (removed, _) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}",
            $$"""{"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"{{b}}"}]}]}""");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(2, await MemberCountAsync(group));

        await client.PatchJsonAsync($"/scim/v2/Groups/{group}", $$"""{"Operations":[{"op":"remove","path":"members[value eq \"{{c}}\"]"}]}""");
        var (_, body) = await client.GetJsonAsync($"/scim/v2/Groups/{group}");
        Assert.Equal([a], body!["members"]!.AsArray().Select(m => m!["value"]!.GetValue<string>()));
    }

    [Fact]
    public async Task PatchGroup_InvalidMember_Returns400AndAppliesNothing()
    {
        var a = await client.CreateUserAsync("atomic.a@ides.example");
        var group = await client.CreateGroupAsync("Atomic Group");
        var result = await client.PatchJsonAsync($"/scim/v2/Groups/{group}", $$"""
            {"Operations":[
              {"op":"replace","path":"displayName","value":"Atomic Renamed"},
              {"op":"add","path":"members","value":[{"value":"{{a}}"}]},
              {"op":"add","path":"members","value":[{"value":"{{Guid.NewGuid()}}"}]}]}
            """);
        ScimHttp.AssertError(result, 400, "invalidValue");
        var (_, body) = await client.GetJsonAsync($"/scim/v2/Groups/{group}");
        Assert.Equal("Atomic Group", body!["displayName"]!.GetValue<string>());
        Assert.False(body.ContainsKey("members"));
    }

    [Fact]
    public async Task PatchGroup_ReplaceMembers_SetsExactly()
    {
        var a = await client.CreateUserAsync("r.a@ides.example");
        var b = await client.CreateUserAsync("r.b@ides.example");
        var group = await client.CreateGroupAsync("Replace Group", a);
        var (patched, _) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}", $$"""{"Operations":[{"op":"replace","path":"members","value":[{"value":"{{b}}"}]}]}""");
        Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        var (_, body) = await client.GetJsonAsync($"/scim/v2/Groups/{group}");
        Assert.Equal([b], body!["members"]!.AsArray().Select(m => m!["value"]!.GetValue<string>()));
    }

    [Fact]
    public async Task GetGroup_ExcludedMembers_DoesNotQueryMembershipRows()
    {
        var a = await client.CreateUserAsync("nl.a@ides.example");
        var group = await client.CreateGroupAsync("Not Loaded Group", a);

        var mark = factory.Logs.Lines.Count;
        var (response, body) = await client.GetJsonAsync($"/scim/v2/Groups/{group}?excludedAttributes=members");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(body!.ContainsKey("members"));
        var sql = factory.SqlSince(mark);
        Assert.NotEmpty(sql);
        Assert.DoesNotContain(sql, s => s.Contains("GroupMemberships", StringComparison.Ordinal));

        mark = factory.Logs.Lines.Count;
        var (_, list) = await client.GetJsonAsync("/scim/v2/Groups?excludedAttributes=members&filter=" + Uri.EscapeDataString("displayName eq \"Not Loaded Group\""));
        Assert.Equal(1, list!["totalResults"]!.GetValue<int>());
        Assert.DoesNotContain(factory.SqlSince(mark), s => s.Contains("GroupMemberships", StringComparison.Ordinal));

        // Sanity: without the exclusion, the members are read.
        mark = factory.Logs.Lines.Count;
        await client.GetJsonAsync($"/scim/v2/Groups/{group}");
        Assert.Contains(factory.SqlSince(mark), s => s.Contains("GroupMemberships", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PatchGroup_AddMemberToLargeGroup_DoesNotLoadMemberList()
    {
        var ws = await factory.WorkspaceIdAsync("ides");
        var group = await client.CreateGroupAsync("Large Group");
        var groupId = Guid.Parse(group);
        await factory.WithDbAsync(async db =>
        {
            var members = Enumerable.Range(0, 10_000).Select(i => new WorkspaceMember { WorkspaceId = ws, UserName = $"bulk{i}@ides.example" }).ToList();
            db.Members.AddRange(members);
            db.GroupMemberships.AddRange(members.Select(m => new GroupMembership { GroupId = groupId, MemberId = m.Id, MemberType = GroupMemberType.User, WorkspaceId = ws }));
            return await db.SaveChangesAsync();
        });
        var newcomer = await client.CreateUserAsync("newcomer@ides.example");

        var mark = factory.Logs.Lines.Count;
        var (response, body) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}?excludedAttributes=members",
            $$"""{"Operations":[{"op":"add","path":"members","value":[{"value":"{{newcomer}}"}]}]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(body!.ContainsKey("members"));
        var membershipSql = factory.SqlSince(mark).Where(s => s.Contains("GroupMemberships", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(membershipSql);
        // Every statement touching membership rows is keyed by the listed member ids (no full-list SELECT): a parameter,
        // the parameter list, or the id of a listed user or group (the membership check of the candidates). Either
        // provider's SQL: SQLite quotes the alias and lists ids with IN (...), PostgreSQL does not and uses = ANY (@ids).
        Assert.All(membershipSql.Where(s => s.Contains("SELECT", StringComparison.Ordinal)),
            s => Assert.Matches(@"WHERE .*""GroupId"" = @\w+ AND ""?\w+""?\.""MemberId"" (= @|= ""?\w+""?\.""Id""|IN \(|= ANY \(@)", s.ReplaceLineEndings(" ")));
        Assert.Contains(membershipSql, s => s.Contains("INSERT INTO \"GroupMemberships\"", StringComparison.Ordinal));
        Assert.Equal(10_001, await MemberCountAsync(group));
    }

    [Fact]
    public async Task PatchGroup_AttributesEmpty_Returns204()
    {
        var group = await client.CreateGroupAsync("No Content Group");
        var (response, body) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}?attributes=", """{"Operations":[{"op":"Replace","path":"displayName","value":"No Content Renamed"}]}""");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null(body);
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task DeleteGroup_RemovesItsRowsAndRowsWhereItIsMember()
    {
        var a = await client.CreateUserAsync("dg.a@ides.example");
        var inner = await client.CreateGroupAsync("Inner Group", a);
        var outer = await client.CreateGroupAsync("Outer Group", inner);
        var (_, outerBody) = await client.GetJsonAsync($"/scim/v2/Groups/{outer}");
        Assert.Equal("Group", outerBody!["members"]![0]!["type"]!.GetValue<string>());

        var (deleted, _) = await client.SendAsync(HttpMethod.Delete, $"/scim/v2/Groups/{inner}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.False(await factory.WithDbAsync(db => db.GroupMemberships.AnyAsync(m => m.GroupId == Guid.Parse(inner) || m.MemberId == Guid.Parse(inner))));
        ScimHttp.AssertError(await client.GetJsonAsync($"/scim/v2/Groups/{inner}"), 404);
    }

    [Fact]
    public async Task PatchGroup_MembershipChange_RecordedWithNamesNotIds()
    {
        var a = await client.CreateUserAsync("log.a@ides.example");
        var group = await client.CreateGroupAsync("Logged Group");
        await client.PatchJsonAsync($"/scim/v2/Groups/{group}", $$"""{"Operations":[{"op":"add","path":"members","value":[{"value":"{{a}}"}]}]}""");
        await factory.Services.GetRequiredService<ProvisioningLogWriter>().FlushAsync();
        var events = await factory.WithDbAsync(db => db.ProvisioningEvents.Where(e => e.ResourceId == group).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal([ProvisioningOperation.Create, ProvisioningOperation.MembershipChange], events.Select(e => e.Operation));
        Assert.Equal("updated group Logged Group: added log.a@ides.example", events[1].Summary);
        Assert.DoesNotContain(a, events[1].Summary, StringComparison.Ordinal);
    }

    private Task<int> MemberCountAsync(string group) => factory.WithDbAsync(db => db.GroupMemberships.CountAsync(m => m.GroupId == Guid.Parse(group)));
}
