using System.Net;
namespace IdeaScale.Portal.Tests.Scim.Groups;

/// <summary>
/// The 204 rule of group PATCH (issue 14 part 2): without <c>attributes</c> or <c>excludedAttributes</c> the answer is
/// 204 No Content with the new ETag, whatever the body (Entra's and Okta's shapes from SCIM-INTEROP.md); with either,
/// 200 with exactly that representation. User PATCH keeps answering 200 with the user.
/// </summary>
public sealed class GroupPatchResponseTests : IClassFixture<ScimFactory>
{
    private readonly ScimFactory factory;
    private readonly HttpClient client;

    public GroupPatchResponseTests(ScimFactory factory)
    {
        this.factory = factory;
        client = factory.Scim();
    }

    [Fact]
    public async Task PatchGroup_EntraMembershipAddWithoutQuery_Returns204WithNewETag()
    {
        var a = await client.CreateUserAsync("p204.entra.a@ides.example");
        var b = await client.CreateUserAsync("p204.entra.b@ides.example");
        var group = await client.CreateGroupAsync("p204 entra");
        var before = await ETagAsync(group);

        var (response, body) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}", $$"""
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
              {"op":"Add","path":"members","value":[{"$ref":null,"value":"{{a}}"},{"$ref":null,"value":"{{b}}"}]}]}
            """);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null(body);
        Assert.Equal(0, response.Content.Headers.ContentLength ?? 0);
        var etag = response.Headers.ETag!.ToString();
        Assert.NotEqual(before, etag);
        var (_, read) = await client.GetJsonAsync($"/scim/v2/Groups/{group}");
        Assert.Equal(etag, read!["meta"]!["version"]!.GetValue<string>());
        Assert.Equal(new[] { a, b }.Order(), read["members"]!.AsArray().Select(m => m!["value"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task PatchGroup_EntraRemoveAndRenameWithoutQuery_Returns204AndApplies()
    {
        var a = await client.CreateUserAsync("p204.entra.remove.a@ides.example");
        var b = await client.CreateUserAsync("p204.entra.remove.b@ides.example");
        var group = await client.CreateGroupAsync("p204 entra remove", a, b);

        var (removed, _) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}",
            $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"{{a}}"}]}]}""");
        var (renamed, _) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}",
            """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"p204 entra renamed"}]}""");

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, renamed.StatusCode);
        var (_, read) = await client.GetJsonAsync($"/scim/v2/Groups/{group}");
        Assert.Equal("p204 entra renamed", read!["displayName"]!.GetValue<string>());
        Assert.Equal([b], read["members"]!.AsArray().Select(m => m!["value"]!.GetValue<string>()));
    }

    [Fact]
    public async Task PatchGroup_OktaRemoveAndAddInOnePatch_Returns204AndApplies()
    {
        var first = await client.CreateUserAsync("p204.okta.first@ides.example");
        var second = await client.CreateUserAsync("p204.okta.second@ides.example");
        var group = await client.CreateGroupAsync("p204 okta", first);

        var (response, body) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}", $$"""
            {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
              {"op":"remove","path":"members[value eq \"{{first}}\"]"},
              {"op":"add","path":"members","value":[{"value":"{{second}}","display":"p204.okta.second@ides.example"}]}]}
            """);
        var (renamed, _) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}",
            $$$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"{{{group}}}","displayName":"p204 okta renamed"}}]}""");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null(body);
        Assert.Equal(HttpStatusCode.NoContent, renamed.StatusCode);
        var (_, read) = await client.GetJsonAsync($"/scim/v2/Groups/{group}");
        Assert.Equal("p204 okta renamed", read!["displayName"]!.GetValue<string>());
        Assert.Equal([second], read["members"]!.AsArray().Select(m => m!["value"]!.GetValue<string>()));
        Assert.NotEqual(response.Headers.ETag!.ToString(), renamed.Headers.ETag!.ToString());
        Assert.Equal(renamed.Headers.ETag!.ToString(), read["meta"]!["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task PatchGroup_ExcludedAttributesMembers_Returns200WithoutMembers()
    {
        var a = await client.CreateUserAsync("p200.excluded.a@ides.example");
        var b = await client.CreateUserAsync("p200.excluded.b@ides.example");
        var group = await client.CreateGroupAsync("p200 excluded", a);

        var (response, body) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}?excludedAttributes=members",
            $$"""{"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"{{b}}"}]}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(body!.ContainsKey("members"));
        Assert.Equal("p200 excluded", body["displayName"]!.GetValue<string>());
        Assert.Equal(response.Headers.ETag!.ToString(), body["meta"]!["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task PatchGroup_AttributesNamed_Returns200WithExactlyThose()
    {
        var a = await client.CreateUserAsync("p200.attributes.a@ides.example");
        var group = await client.CreateGroupAsync("p200 attributes");

        var (response, body) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}?attributes=members.value",
            $$"""{"Operations":[{"op":"add","path":"members","value":[{"value":"{{a}}"}]}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["schemas", "id", "members", "meta"], body!.Select(p => p.Key));
        var member = Assert.IsType<System.Text.Json.Nodes.JsonObject>(body!["members"]!.AsArray()[0]);
        Assert.Equal(["value"], member.Select(p => p.Key));
        Assert.Equal(a, body["members"]![0]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task PatchGroup_FullRepresentationAskedWithEmptyExclusion_Returns200WithMembers()
    {
        var a = await client.CreateUserAsync("p200.all.a@ides.example");
        var group = await client.CreateGroupAsync("p200 all");

        var (response, body) = await client.PatchJsonAsync($"/scim/v2/Groups/{group}?excludedAttributes=",
            $$"""{"Operations":[{"op":"add","path":"members","value":[{"value":"{{a}}"}]}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(a, body!["members"]![0]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task PatchUser_WithoutQuery_KeepsAnswering200WithTheUser()
    {
        var user = await client.CreateUserAsync("p200.user@ides.example");

        var (response, body) = await client.PatchJsonAsync($"/scim/v2/Users/{user}",
            """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(body!["active"]!.GetValue<bool>());
        Assert.Equal("p200.user@ides.example", body["userName"]!.GetValue<string>());
    }

    [Fact]
    public async Task PatchGroup_BadAttributesParameter_Returns400AndAppliesNothing()
    {
        var group = await client.CreateGroupAsync("p400 attributes");
        var result = await client.PatchJsonAsync($"/scim/v2/Groups/{group}?attributes=nope",
            """{"Operations":[{"op":"replace","path":"displayName","value":"p400 renamed"}]}""");
        ScimHttp.AssertError(result, 400, "invalidValue");
        var (_, read) = await client.GetJsonAsync($"/scim/v2/Groups/{group}");
        Assert.Equal("p400 attributes", read!["displayName"]!.GetValue<string>());
    }

    private async Task<string> ETagAsync(string group)
    {
        var (response, _) = await client.GetJsonAsync($"/scim/v2/Groups/{group}?excludedAttributes=members");
        return response.Headers.ETag!.ToString();
    }
}
