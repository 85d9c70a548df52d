using System.Net;

using Microsoft.Data.Sqlite;

namespace IdeaScale.Portal.Tests.Scim.Groups;

/// <summary>
/// A user's representation shows its groups, so a membership change made through /Groups changes the user's
/// version (ETag) and lastModified: exactly of the users whose membership changed, by primary key.
/// </summary>
public sealed class GroupMembershipETagTests : IClassFixture<ScimFactory>
{
    private readonly ScimFactory factory;
    private readonly HttpClient client;

    public GroupMembershipETagTests(ScimFactory factory)
    {
        this.factory = factory;
        client = factory.Scim();
    }

    [Fact]
    public async Task PatchGroup_AddThenRemoveUser_ChangesThatUsersETagEachTimeAndNoOneElses()
    {
        var user = await client.CreateUserAsync("getag.patch.user@ides.example");
        var bystander = await client.CreateUserAsync("getag.patch.bystander@ides.example");
        var group = await client.CreateGroupAsync("getag patch", bystander);
        var (before, beforeBody) = await client.GetJsonAsync($"/scim/v2/Users/{user}");
        var bystanderETag = await ETagAsync(bystander);

        var (added, _) = await PatchMembersAsync(group, "add", user);

        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var (afterAdd, body) = await GetIfNoneMatchAsync(user, before.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.OK, afterAdd.StatusCode);
        Assert.NotEqual(before.Headers.ETag, afterAdd.Headers.ETag);
        Assert.Equal(afterAdd.Headers.ETag!.ToString(), body!["meta"]!["version"]!.GetValue<string>());
        Assert.True(body["meta"]!["lastModified"]!.GetValue<DateTime>() >= beforeBody!["meta"]!["lastModified"]!.GetValue<DateTime>());
        Assert.Contains(body["groups"]!.AsArray(), g => g!["value"]!.GetValue<string>() == group);
        Assert.Equal(bystanderETag, await ETagAsync(bystander));

        var (removed, _) = await PatchMembersAsync(group, "remove", user);

        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        var (afterRemove, removedBody) = await GetIfNoneMatchAsync(user, afterAdd.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.OK, afterRemove.StatusCode);
        Assert.NotEqual(afterAdd.Headers.ETag, afterRemove.Headers.ETag);
        Assert.NotEqual(before.Headers.ETag, afterRemove.Headers.ETag);
        Assert.Null(removedBody!["groups"]);
        Assert.Equal(bystanderETag, await ETagAsync(bystander));

        // Unchanged since: the current ETag still answers 304.
        var (current, _) = await GetIfNoneMatchAsync(user, afterRemove.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.NotModified, current.StatusCode);
    }

    [Fact]
    public async Task PatchGroup_AddExistingOrRemoveNonMember_KeepsTheUsersETag()
    {
        var member = await client.CreateUserAsync("getag.noop.member@ides.example");
        var outsider = await client.CreateUserAsync("getag.noop.outsider@ides.example");
        var group = await client.CreateGroupAsync("getag noop", member);
        var memberETag = await ETagAsync(member);
        var outsiderETag = await ETagAsync(outsider);

        await PatchMembersAsync(group, "add", member);
        await PatchMembersAsync(group, "remove", outsider);

        Assert.Equal(memberETag, await ETagAsync(member));
        Assert.Equal(outsiderETag, await ETagAsync(outsider));
    }

    [Fact]
    public async Task CreateGroup_WithMembers_ChangesTheMembersETags()
    {
        var member = await client.CreateUserAsync("getag.post.member@ides.example");
        var outsider = await client.CreateUserAsync("getag.post.outsider@ides.example");
        var memberETag = await ETagAsync(member);
        var outsiderETag = await ETagAsync(outsider);

        await client.CreateGroupAsync("getag post", member);

        Assert.NotEqual(memberETag, await ETagAsync(member));
        Assert.Equal(outsiderETag, await ETagAsync(outsider));
    }

    [Fact]
    public async Task ReplaceGroup_NewMemberList_ChangesTheETagsOfLeavingAndJoiningUsersOnly()
    {
        var leaving = await client.CreateUserAsync("getag.put.leaving@ides.example");
        var staying = await client.CreateUserAsync("getag.put.staying@ides.example");
        var joining = await client.CreateUserAsync("getag.put.joining@ides.example");
        var group = await client.CreateGroupAsync("getag put", leaving, staying);
        var before = new[] { await ETagAsync(leaving), await ETagAsync(staying), await ETagAsync(joining) };

        var (response, _) = await client.PutJsonAsync($"/scim/v2/Groups/{group}",
            $$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"getag put","members":[{"value":"{{staying}}"},{"value":"{{joining}}"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(before[0], await ETagAsync(leaving));
        Assert.Equal(before[1], await ETagAsync(staying));
        Assert.NotEqual(before[2], await ETagAsync(joining));
    }

    [Fact]
    public async Task PatchGroup_RemoveAllMembers_ChangesEveryMembersETag()
    {
        var first = await client.CreateUserAsync("getag.clear.1@ides.example");
        var second = await client.CreateUserAsync("getag.clear.2@ides.example");
        var outsider = await client.CreateUserAsync("getag.clear.outsider@ides.example");
        var group = await client.CreateGroupAsync("getag clear", first, second);
        var before = new[] { await ETagAsync(first), await ETagAsync(second), await ETagAsync(outsider) };

        var (response, _) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}",
            """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}""");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.NotEqual(before[0], await ETagAsync(first));
        Assert.NotEqual(before[1], await ETagAsync(second));
        Assert.Equal(before[2], await ETagAsync(outsider));
    }

    [Fact]
    public async Task DeleteGroup_ChangesItsMembersETagsOnly()
    {
        var member = await client.CreateUserAsync("getag.delete.member@ides.example");
        var outsider = await client.CreateUserAsync("getag.delete.outsider@ides.example");
        var group = await client.CreateGroupAsync("getag delete", member);
        var memberETag = await ETagAsync(member);
        var outsiderETag = await ETagAsync(outsider);

        var (response, _) = await client.SendAsync(HttpMethod.Delete, $"/scim/v2/Groups/{group}");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.NotEqual(memberETag, await ETagAsync(member));
        Assert.Equal(outsiderETag, await ETagAsync(outsider));
    }

    [Fact]
    public async Task PatchGroup_Rename_ChangesTheMembersETagsOnly()
    {
        var member = await client.CreateUserAsync("getag.rename.member@ides.example");
        var outsider = await client.CreateUserAsync("getag.rename.outsider@ides.example");
        var group = await client.CreateGroupAsync("getag rename", member);
        var memberETag = await ETagAsync(member);
        var outsiderETag = await ETagAsync(outsider);

        var (response, _) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}",
            """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"getag renamed"}]}""");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var (after, body) = await GetIfNoneMatchAsync(member, memberETag);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("getag renamed", body!["groups"]![0]!["display"]!.GetValue<string>());
        Assert.Equal(outsiderETag, await ETagAsync(outsider));
    }

    [Trait("Provider", "Sqlite")] // asserts SQLite's own query plan or SQL text
    [Fact]
    public async Task MembershipWrites_UserVersionUpdates_FindTheUsersByPrimaryKey()
    {
        var users = new[]
        {
            await client.CreateUserAsync("getag.plan.1@ides.example"),
            await client.CreateUserAsync("getag.plan.2@ides.example"),
        };
        var group = await client.CreateGroupAsync("getag plan", users[0]);

        var (_, sql) = await WriteStatements.CaptureAsync(factory, async () =>
        {
            await PatchMembersAsync(group, "add", users[1]);
            await PatchMembersAsync(group, "remove", users[0]);
            await client.PutJsonAsync($"/scim/v2/Groups/{group}",
                $$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"getag plan renamed","members":[{"value":"{{users[0]}}"}]}""");
            await client.PatchJsonAsync($"/scim/v2/Groups/{group}",
                """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}""");
            return await client.SendAsync(HttpMethod.Delete, $"/scim/v2/Groups/{group}");
        });

        var updates = sql.Where(s => s.Contains("UPDATE \"Members\"", StringComparison.Ordinal))
            .Select(s => s[s.IndexOf("UPDATE \"Members\"", StringComparison.Ordinal)..]).ToList();
        Assert.Equal(6, updates.Count); // add, remove, replace, rename (the same PUT), remove all, delete: one each
        foreach (var update in updates)
        {
            var plan = await factory.QueryPlanAsync(update);
            // Every access to Members is by its primary key; a "SCAN" of it would read the whole table.
            Assert.DoesNotContain("SCAN m", plan, StringComparison.Ordinal);
            Assert.Matches(@"SEARCH m USING (COVERING )?INDEX sqlite_autoindex_Members_1 \(Id=\?\)", plan);
        }
    }

    private async Task<string> ETagAsync(string user)
    {
        var (response, _) = await client.GetJsonAsync($"/scim/v2/Users/{user}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.ETag!.ToString();
    }

    private Task<(HttpResponseMessage Response, System.Text.Json.Nodes.JsonObject? Body)> GetIfNoneMatchAsync(string user, string etag) =>
        client.SendAsync(HttpMethod.Get, $"/scim/v2/Users/{user}", configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", etag));

    private Task<(HttpResponseMessage Response, System.Text.Json.Nodes.JsonObject? Body)> PatchMembersAsync(string group, string op, string member) =>
        client.PatchJsonAsync($"/scim/v2/Groups/{group}?excludedAttributes=members",
            $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"{{op}}","path":"members","value":[{"value":"{{member}}"}]}]}""");
}
