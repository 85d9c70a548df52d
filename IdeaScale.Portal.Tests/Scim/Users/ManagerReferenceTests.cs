using System.Net;
using System.Text.Json.Nodes;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Scim.Users;

/// <summary>
/// Issue 11 item 13: the enterprise manager is kept as the client sent it. It is linked to a user (displayName and
/// $ref answered) when it is the id of another user of the workspace, and otherwise kept unresolved; it never fails
/// the user's write. Okta maps manager.value to a username or an employee id; Entra may send a manager we deleted.
/// </summary>
public sealed class ManagerReferenceTests(ScimFactory factory) : IClassFixture<ScimFactory>
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    private const string PatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    private readonly HttpClient client = factory.Scim();

    [Fact]
    public async Task CreateUser_ManagerValueIsAUserName_Returns201AndAnswersTheReferenceAsSent()
    {
        var (response, body) = await client.PostJsonAsync("/scim/v2/Users", $$"""
            {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","{{Enterprise}}"],"userName":"okta.report@ides.example",
             "{{Enterprise}}":{"department":"Sales","manager":{"value":"Okta.Boss@ides.example"} } }
            """);

        Assert.True(response.StatusCode == HttpStatusCode.Created, body?.ToJsonString());
        Assert.Equal("""{"value":"Okta.Boss@ides.example"}""", body![Enterprise]!["manager"]!.ToJsonString());
        Assert.Equal("Sales", body[Enterprise]!["department"]!.GetValue<string>());
        var (_, fetched) = await client.GetJsonAsync($"/scim/v2/Users/{body["id"]}");
        Assert.Equal(body.ToJsonString(), fetched!.ToJsonString());
    }

    [Theory]
    [InlineData("manager.value eq \"okta.boss2@ides.example\"")]
    [InlineData("manager eq \"OKTA.BOSS2@ides.example\"")]
    [InlineData(Enterprise + ":manager.value eq \"okta.boss2@ides.example\"")]
    [InlineData("manager[value eq \"okta.boss2@ides.example\"]")]
    public async Task ListUsers_FilterOnUnresolvedManager_FindsTheUser(string filter)
    {
        var id = await EnsureUserAsync("filter.report@ides.example", $$"""
            "{{Enterprise}}":{"manager":{"value":"okta.boss2@ides.example"} }
            """);

        var (response, list) = await client.GetJsonAsync($"/scim/v2/Users?filter={Uri.EscapeDataString(filter)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([id], list!["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task CreateUser_ManagerIsAnotherUsersId_LinksItWithDisplayNameAndRef()
    {
        var manager = await client.CreateUserAsync("linked.boss@ides.example", "\"displayName\":\"Linked Boss\"");

        var id = await client.CreateUserAsync("linked.report@ides.example", $$"""
            "{{Enterprise}}":{"manager":{"value":"{{manager}}"} }
            """);

        var (_, user) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        var reference = user![Enterprise]!["manager"]!;
        Assert.Equal(manager, reference["value"]!.GetValue<string>());
        Assert.Equal("Linked Boss", reference["displayName"]!.GetValue<string>());
        Assert.Equal($"{ScimFactory.IdesBase}/Users/{manager}", reference["$ref"]!.GetValue<string>());
        var linked = await factory.WithDbAsync(db => db.Members.Where(m => m.Id == Guid.Parse(id)).Select(m => m.ManagerId).SingleAsync());
        Assert.Equal(Guid.Parse(manager), linked);
    }

    [Fact]
    public async Task PatchUser_EntraManagerIdOfADeletedUser_Returns200AndKeepsItUnresolved()
    {
        var gone = await client.CreateUserAsync("deleted.boss@ides.example");
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(HttpMethod.Delete, $"/scim/v2/Users/{gone}")).Response.StatusCode);
        var id = await client.CreateUserAsync("orphan.report@ides.example");

        var (response, body) = await client.PatchJsonAsync($"/scim/v2/Users/{id}",
            $$"""{"schemas":["{{PatchOp}}"],"Operations":[{"op":"Add","path":"{{Enterprise}}:manager","value":"{{gone}}"},{"op":"Replace","path":"title","value":"Kept"}]}""");

        Assert.True(response.StatusCode == HttpStatusCode.OK, body?.ToJsonString());
        Assert.Equal($$"""{"value":"{{gone}}"}""", body![Enterprise]!["manager"]!.ToJsonString());
        Assert.Equal("Kept", body["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteUser_ThatManagesAnother_LeavesTheReferenceAsSentAndUnresolved()
    {
        var manager = await client.CreateUserAsync("leaving.boss@ides.example", "\"displayName\":\"Leaving Boss\"");
        var id = await client.CreateUserAsync("staying.report@ides.example", $$"""
            "{{Enterprise}}":{"manager":{"value":"{{manager}}"} }
            """);
        var (_, before) = await client.GetJsonAsync($"/scim/v2/Users/{id}");

        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(HttpMethod.Delete, $"/scim/v2/Users/{manager}")).Response.StatusCode);

        var (response, after) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($$"""{"value":"{{manager}}"}""", after![Enterprise]!["manager"]!.ToJsonString());
        Assert.NotEqual(before!["meta"]!["version"]!.GetValue<string>(), after["meta"]!["version"]!.GetValue<string>());
        var (_, list) = await client.GetJsonAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"manager eq \"{manager}\"")}");
        Assert.Equal(after.ToJsonString(), list!["Resources"]![0]!.ToJsonString());

        // A later PUT that sends the same reference back keeps it, unresolved.
        var put = after.DeepClone().AsObject();
        var (putResponse, replaced) = await client.PutJsonAsync($"/scim/v2/Users/{id}", put.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, putResponse.StatusCode);
        Assert.Equal($$"""{"value":"{{manager}}"}""", replaced![Enterprise]!["manager"]!.ToJsonString());
    }

    [Theory]
    [InlineData("{\"value\":12345}", "{\"value\":\"12345\"}")]
    [InlineData("{\"value\":\"E-77\",\"displayName\":\"Sent Name\"}", "{\"value\":\"E-77\"}")]
    [InlineData("{\"value\":\"\"}", null)]
    [InlineData("{\"value\":null}", null)]
    [InlineData("\"bare-string-id\"", "{\"value\":\"bare-string-id\"}")]
    public async Task CreateUser_ManagerShapes_AreKeptOrUnassignedNeverRejected(string manager, string? expected)
    {
        var userName = $"shape.{Guid.NewGuid():N}@ides.example";
        var (response, body) = await client.PostJsonAsync("/scim/v2/Users",
            $$"""{"userName":"{{userName}}","{{Enterprise}}":{"employeeNumber":"9","manager":{{manager}} } }""");

        Assert.True(response.StatusCode == HttpStatusCode.Created, body?.ToJsonString());
        Assert.Equal(expected, body![Enterprise]!["manager"]?.ToJsonString());
    }

    [Fact]
    public async Task GetUser_UnresolvedManager_FastPathAnswersLikeTheGeneralPath()
    {
        var id = await client.CreateUserAsync("paths.report@ides.example", $$"""
            "displayName":"Paths","{{Enterprise}}":{"manager":{"value":"employee-4711"} }
            """);

        foreach (var parameters in new[] { "", "?attributes=" + Uri.EscapeDataString(Enterprise + ":manager"), "?excludedAttributes=" + Uri.EscapeDataString(Enterprise + ":manager.value") })
        {
            var (_, fast) = await client.GetJsonAsync($"/scim/v2/Users/{id}{parameters}");
            var separator = parameters.Length == 0 ? "?" : "&";
            var (_, general) = await client.GetJsonAsync($"/scim/v2/Users{parameters}{separator}filter={Uri.EscapeDataString($"id eq \"{id}\"")}");
            Assert.Equal(general!["Resources"]![0]!.ToJsonString(), fast!.ToJsonString());
        }

        // The root search builds the JSON tree and prunes it (UserMapper.ToJson, AttributeSelection.Apply).
        var (_, fastFull) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        var (_, searched) = await client.PostJsonAsync("/scim/v2/.search", $$"""{"filter":"id eq \"{{id}}\""}""");
        Assert.Equal(fastFull!.ToJsonString(), searched!["Resources"]![0]!.ToJsonString());
    }

    private async Task<string> EnsureUserAsync(string userName, string extra)
    {
        var (_, existing) = await client.GetJsonAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{userName}\"")}");
        return existing!["Resources"]!.AsArray() is [{ } found, ..] ? found["id"]!.GetValue<string>() : await client.CreateUserAsync(userName, extra);
    }
}
