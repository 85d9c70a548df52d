using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials;

namespace IdeaScale.Portal.Tests.Scim.Tenancy;

/// <summary>
/// Nothing of another workspace is visible or changeable over /scim/v2: acme's token against ides's users and
/// groups, for every endpoint and verb.
/// </summary>
public sealed class WorkspaceIsolationTests : IClassFixture<WorkspaceIsolationTests.TwoWorkspaces>
{
    private const string SharedUserName = "shared.person@example.com";
    private readonly TwoWorkspaces w;

    public WorkspaceIsolationTests(TwoWorkspaces w) => this.w = w;

    /// <summary>ides (seeded users and groups) and acme (one user and one group created over SCIM).</summary>
    public sealed class TwoWorkspaces : IAsyncLifetime
    {
        public AccessFactory Factory { get; } = AccessFactory.With(new Dictionary<string, string?> { ["Scim:RateLimit:RequestsPerSecond"] = "0" });
        public HttpClient Ides { get; private set; } = null!;
        public HttpClient Acme { get; private set; } = null!;
        public string IdesUserId { get; private set; } = "";
        public string IdesGroupId { get; private set; } = "";
        public string IdesSharedUserId { get; private set; } = "";
        public string AcmeUserId { get; private set; } = "";
        public string AcmeGroupId { get; private set; } = "";

        public async Task InitializeAsync()
        {
            Ides = Factory.Scim(PortalFactory.IdesToken);
            Acme = Factory.Scim(PortalFactory.AcmeToken);
            var idesUsers = await ReadAsync(await Ides.GetAsync("scim/v2/Users?filter=" + Uri.EscapeDataString("userName eq \"ada.lovelace@ides.example\"")));
            IdesUserId = idesUsers["Resources"]![0]!["id"]!.GetValue<string>();
            var idesGroups = await ReadAsync(await Ides.GetAsync("scim/v2/Groups?filter=" + Uri.EscapeDataString("displayName eq \"Engineering\"")));
            IdesGroupId = idesGroups["Resources"]![0]!["id"]!.GetValue<string>();

            // The same userName in both workspaces is allowed: uniqueness is per workspace.
            var acmeUser = await SendAsync(Acme, HttpMethod.Post, "scim/v2/Users", User(SharedUserName), HttpStatusCode.Created);
            AcmeUserId = acmeUser["id"]!.GetValue<string>();
            IdesSharedUserId = (await SendAsync(Ides, HttpMethod.Post, "scim/v2/Users", User(SharedUserName), HttpStatusCode.Created))["id"]!.GetValue<string>();
            AcmeGroupId = (await SendAsync(Acme, HttpMethod.Post, "scim/v2/Groups",
                $$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Acme Team","members":[{"value":"{{AcmeUserId}}"}]}""",
                HttpStatusCode.Created))["id"]!.GetValue<string>();
        }

        public Task DisposeAsync()
        {
            Ides.Dispose();
            Acme.Dispose();
            Factory.Dispose();
            return Task.CompletedTask;
        }
    }

    public static TheoryData<string, string> ForeignResourceRequests => new()
    {
        { "GET", "Users" }, { "PUT", "Users" }, { "PATCH", "Users" }, { "DELETE", "Users" },
        { "GET", "Groups" }, { "PUT", "Groups" }, { "PATCH", "Groups" }, { "DELETE", "Groups" },
    };

    [Theory]
    [MemberData(nameof(ForeignResourceRequests))]
    public async Task Request_ForAnotherWorkspacesResource_Returns404AndChangesNothing(string method, string endpoint)
    {
        var id = endpoint == "Users" ? w.IdesUserId : w.IdesGroupId;
        var path = $"scim/v2/{endpoint}/{id}";
        var before = await ReadAsync(await w.Ides.GetAsync(path));

        string? body = method switch
        {
            "PUT" when endpoint == "Users" => User("taken.over@example.com"),
            "PUT" => """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Taken over","members":[]}""",
            "PATCH" => endpoint == "Users"
                ? """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}"""
                : """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}""",
            _ => null,
        };
        using var response = await w.Acme.SendAsync(Request(new HttpMethod(method), path, body));

        await ScimAssert.ErrorAsync(response, 404);
        var after = await ReadAsync(await w.Ides.GetAsync(path));
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    [Theory]
    [InlineData("scim/v2/Users")]
    [InlineData("scim/v2/Groups")]
    [InlineData("scim/v2/Users?startIndex=1&count=1000")]
    [InlineData("scim/v2/Users?filter=userName%20sw%20%22a%22")]
    [InlineData("scim/v2/Users?filter=userName%20eq%20%22ada.lovelace%40ides.example%22")]
    [InlineData("scim/v2/Users?filter=emails.value%20co%20%22ides.example%22")]
    [InlineData("scim/v2/Groups?filter=displayName%20eq%20%22Engineering%22")]
    [InlineData("scim/v2/Groups?filter=displayName%20pr")]
    public async Task List_WithAnotherWorkspacesToken_NeverReturnsItsResources(string path)
    {
        var acme = await ReadAsync(await w.Acme.GetAsync(path));
        AssertOnlyAcme(acme);
    }

    [Fact]
    public async Task List_FilterById_DoesNotFindAnotherWorkspacesIds()
    {
        foreach (var (endpoint, id) in new[] { ("Users", w.IdesUserId), ("Groups", w.IdesGroupId) })
        {
            var result = await ReadAsync(await w.Acme.GetAsync($"scim/v2/{endpoint}?filter=" + Uri.EscapeDataString($"id eq \"{id}\"")));
            Assert.Equal(0, result["totalResults"]!.GetValue<int>());
        }

        var byMember = await ReadAsync(await w.Acme.GetAsync("scim/v2/Groups?filter=" + Uri.EscapeDataString($"members eq \"{w.IdesUserId}\"")));
        Assert.Equal(0, byMember["totalResults"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("scim/v2/Users/.search")]
    [InlineData("scim/v2/Groups/.search")]
    [InlineData("scim/v2/.search")]
    public async Task Search_WithAnotherWorkspacesToken_NeverReturnsItsResources(string path)
    {
        var all = await SendAsync(w.Acme, HttpMethod.Post, path,
            """{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"startIndex":1,"count":1000}""", HttpStatusCode.OK);
        AssertOnlyAcme(all);
        var filtered = await SendAsync(w.Acme, HttpMethod.Post, path,
            """{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"displayName pr"}""", HttpStatusCode.OK);
        AssertOnlyAcme(filtered);
    }

    [Fact]
    public async Task SameUserName_InTwoWorkspaces_AreDistinctUsers()
    {
        Assert.NotEqual(w.AcmeUserId, w.IdesSharedUserId);
        var filter = "scim/v2/Users?filter=" + Uri.EscapeDataString($"userName eq \"{SharedUserName}\"");
        Assert.Equal(w.AcmeUserId, Assert.Single((await ReadAsync(await w.Acme.GetAsync(filter)))["Resources"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.Equal(w.IdesSharedUserId, Assert.Single((await ReadAsync(await w.Ides.GetAsync(filter)))["Resources"]!.AsArray())!["id"]!.GetValue<string>());

        // Still unique within one workspace.
        using var again = await w.Acme.SendAsync(Request(HttpMethod.Post, "scim/v2/Users", User(SharedUserName.ToUpperInvariant())));
        var error = await ScimAssert.ErrorAsync(again, 409);
        Assert.Equal("uniqueness", error.GetProperty("scimType").GetString());
    }

    [Fact]
    public async Task GroupMember_ReferencingAnotherWorkspacesUserOrGroup_Returns400InvalidValue()
    {
        var groupPath = $"scim/v2/Groups/{w.AcmeGroupId}";
        var before = await ReadAsync(await w.Acme.GetAsync(groupPath));
        foreach (var foreign in new[] { w.IdesUserId, w.IdesGroupId })
        {
            await AssertInvalidValueAsync(HttpMethod.Post, "scim/v2/Groups",
                $$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sneaky {{foreign[..8]}}","members":[{"value":"{{foreign}}"}]}""");
            await AssertInvalidValueAsync(HttpMethod.Put, groupPath,
                $$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Acme Team","members":[{"value":"{{w.AcmeUserId}}"},{"value":"{{foreign}}"}]}""");
            await AssertInvalidValueAsync(HttpMethod.Patch, groupPath,
                $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"{{foreign}}"}]}]}""");
            await AssertInvalidValueAsync(HttpMethod.Patch, groupPath,
                $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[{"value":"{{foreign}}"}]}]}""");
        }

        var after = await ReadAsync(await w.Acme.GetAsync(groupPath));
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
        var sneaky = await ReadAsync(await w.Acme.GetAsync("scim/v2/Groups?filter=" + Uri.EscapeDataString("displayName sw \"Sneaky\"")));
        Assert.Equal(0, sneaky["totalResults"]!.GetValue<int>());
    }

    /// <summary>
    /// Another workspace's user id as manager is kept as sent but never linked: no $ref, no displayName, nothing of
    /// ides in acme's answer (issue 11 item 13: a reference that is not a user of this workspace never fails the write).
    /// </summary>
    [Fact]
    public async Task Manager_ReferencingAnotherWorkspacesUser_IsKeptUnresolvedAndLeaksNothing()
    {
        var acmeUser = (await SendAsync(w.Acme, HttpMethod.Post, "scim/v2/Users", User("managed.across@acme.example"), HttpStatusCode.Created))["id"]!.GetValue<string>();

        var patched = await SendAsync(w.Acme, HttpMethod.Patch, $"scim/v2/Users/{acmeUser}",
            $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"{{w.IdesUserId}}"}]}""",
            HttpStatusCode.OK);

        Assert.Equal($$"""{"value":"{{w.IdesUserId}}"}""", patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]!["manager"]!.ToJsonString());
        Assert.DoesNotContain("ides.example", patched.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Ada", patched.ToJsonString(), StringComparison.Ordinal);
        var linked = await w.Factory.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            db.Members.Where(m => m.Id == Guid.Parse(acmeUser)).Select(m => m.ManagerId)));
        Assert.Null(linked);
        Assert.Equal(HttpStatusCode.NoContent, (await w.Acme.SendAsync(Request(HttpMethod.Delete, $"scim/v2/Users/{acmeUser}", null))).StatusCode);
    }

    private async Task AssertInvalidValueAsync(HttpMethod method, string path, string body)
    {
        using var response = await w.Acme.SendAsync(Request(method, path, body));
        var error = await ScimAssert.ErrorAsync(response, 400);
        Assert.Equal("invalidValue", error.GetProperty("scimType").GetString());
    }

    private void AssertOnlyAcme(JsonNode list)
    {
        var ids = list["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ToList();
        Assert.All(ids, id => Assert.Contains(id, new[] { w.AcmeUserId, w.AcmeGroupId }));
        Assert.Equal(ids.Count, list["totalResults"]!.GetValue<int>());
        Assert.DoesNotContain(w.IdesUserId, list.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("ides.example", list.ToJsonString(), StringComparison.Ordinal);
    }

    private static string User(string userName) =>
        $$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{{userName}}","displayName":"Shared Person","active":true}""";

    private static HttpRequestMessage Request(HttpMethod method, string path, string? body) => new(method, path)
    {
        Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/scim+json"),
    };

    private static async Task<JsonNode> SendAsync(HttpClient client, HttpMethod method, string path, string body, HttpStatusCode expected)
    {
        using var response = await client.SendAsync(Request(method, path, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions())!;
    }
}
