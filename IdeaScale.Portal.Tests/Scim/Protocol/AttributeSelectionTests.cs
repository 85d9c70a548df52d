using System.Net;
using System.Text.Json.Nodes;

namespace IdeaScale.Portal.Tests.Scim.Protocol;

/// <summary>
/// Issue 11 item 14: <c>attributes</c> / <c>excludedAttributes</c> (RFC 7644 §3.4.2.5, §3.9) name attributes in
/// standard attribute notation (§3.10). A name this server does not serve is 400 invalidValue naming the entry,
/// never a silently smaller answer; <c>attr[filter]</c> (sent by Microsoft's SCIM validator) names <c>attr</c>.
/// </summary>
public sealed class AttributeSelectionTests(ScimFactory factory) : IClassFixture<ScimFactory>
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    private readonly HttpClient client = factory.Scim();

    [Fact]
    public async Task GetUser_AttributesWithValueFilter_NamesTheAttribute()
    {
        var id = await UserAsync();

        var (response, user) = await client.GetJsonAsync($"/scim/v2/Users/{id}?attributes={Uri.EscapeDataString("emails[type eq \"work\"]")}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["emails", "id", "meta", "schemas"], user!.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["home@sel.example", "work@sel.example"], user!["emails"]!.AsArray().Select(e => e!["value"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("emails[type eq \"work\"].value", "emails", "value")]
    [InlineData("EMAILS[type eq \"work\"]", "emails", null)]
    [InlineData("name.givenName", "name", "givenName")]
    public async Task ListUsers_AttributeForms_SelectTheNamedAttribute(string attributes, string attribute, string? sub)
    {
        var id = await UserAsync();

        var (response, list) = await client.GetJsonAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"id eq \"{id}\"")}&attributes={Uri.EscapeDataString(attributes)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var user = list!["Resources"]![0]!.AsObject();
        Assert.Equal(new[] { attribute, "id", "meta", "schemas" }.Order(StringComparer.Ordinal), user.Select(p => p.Key).Order(StringComparer.Ordinal));
        if (sub is not null)
        {
            var first = user[attribute] is JsonArray array ? array[0]! : user[attribute]!;
            Assert.Equal([sub], first.AsObject().Select(p => p.Key));
        }
    }

    public static TheoryData<string, string> UnknownNames() => new()
    {
        { "attributes", "userName,bogus" },
        { "attributes", "emails.bogus" },
        { "attributes", "emails[type eq \"work\"].bogus" },
        { "attributes", "emails[type eq \"work\"" },
        { "attributes", "members" },
        { "attributes", Enterprise + ":bogus" },
        { "attributes", "urn:example:params:scim:schemas:unknown:1.0:User:thing" },
        { "attributes", "urn:ietf:params:scim:schemas:core:2.0:Group:displayName" },
        { "excludedAttributes", "bogus" },
        { "excludedAttributes", "title,emails[type eq \"work\"],nope" },
        { "excludedAttributes", "urn:example:unknown:Extension" },
    };

    [Theory]
    [MemberData(nameof(UnknownNames))]
    public async Task GetAndListUsers_UnknownAttributeName_Returns400InvalidValueNamingTheEntry(string parameter, string names)
    {
        var id = await UserAsync();
        var bad = names.Split(',')[^1];

        foreach (var url in new[] { $"/scim/v2/Users/{id}?{parameter}={Uri.EscapeDataString(names)}", $"/scim/v2/Users?{parameter}={Uri.EscapeDataString(names)}" })
        {
            var result = await client.GetJsonAsync(url);
            ScimHttp.AssertError(result, 400, "invalidValue");
            Assert.Contains($"'{bad}'", result.Body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains(parameter, result.Body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SearchUsers_UnknownAttributeInBody_Returns400InvalidValue()
    {
        var result = await client.PostJsonAsync("/scim/v2/Users/.search", """{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"attributes":["userName","displayname","emails[type eq \"work\"]","nickname2"]}""");

        ScimHttp.AssertError(result, 400, "invalidValue");
        Assert.Contains("'nickname2'", result.Body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Groups_UnknownAttribute_Returns400AndEntraExcludedMembersStillWorks()
    {
        var group = await client.CreateGroupAsync($"Selection {Guid.NewGuid():N}", await UserAsync());

        ScimHttp.AssertError(await client.GetJsonAsync($"/scim/v2/Groups/{group}?attributes=userName"), 400, "invalidValue");
        ScimHttp.AssertError(await client.GetJsonAsync($"/scim/v2/Groups?excludedAttributes=member"), 400, "invalidValue");
        var (response, body) = await client.GetJsonAsync($"/scim/v2/Groups/{group}?excludedAttributes=members");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(body!.ContainsKey("members"));
        Assert.True(body.ContainsKey("displayName"));
    }

    [Fact]
    public async Task Writes_UnknownAttributeParameter_Returns400AndChangeNothing()
    {
        var id = await UserAsync();
        var (_, before) = await client.GetJsonAsync($"/scim/v2/Users/{id}");

        ScimHttp.AssertError(await client.PatchJsonAsync($"/scim/v2/Users/{id}?attributes=bogus",
            """{"Operations":[{"op":"replace","path":"title","value":"Changed"}]}"""), 400, "invalidValue");
        ScimHttp.AssertError(await client.PutJsonAsync($"/scim/v2/Users/{id}?excludedAttributes=bogus",
            """{"userName":"renamed.by.put@sel.example"}"""), 400, "invalidValue");
        var userName = $"not.created.{Guid.NewGuid():N}@sel.example";
        ScimHttp.AssertError(await client.PostJsonAsync("/scim/v2/Users?attributes=bogus", $$"""{"userName":"{{userName}}"}"""), 400, "invalidValue");

        var (_, after) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Equal(before!.ToJsonString(), after!.ToJsonString());
        var (_, created) = await client.GetJsonAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{userName}\"")}");
        Assert.Equal(0, created!["totalResults"]!.GetValue<int>());
    }

    [Fact]
    public async Task ExtensionSchemaUrn_SelectsOrExcludesTheWholeExtension()
    {
        var id = await UserAsync();

        var (_, only) = await client.GetJsonAsync($"/scim/v2/Users/{id}?attributes={Uri.EscapeDataString(Enterprise)}");
        Assert.Equal(["id", "meta", "schemas", Enterprise], only!.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("Selection", only![Enterprise]!["department"]!.GetValue<string>());
        Assert.Equal("7", only![Enterprise]!["employeeNumber"]!.GetValue<string>());

        var (_, without) = await client.GetJsonAsync($"/scim/v2/Users/{id}?excludedAttributes={Uri.EscapeDataString(Enterprise)}");
        Assert.False(without!.ContainsKey(Enterprise));
        Assert.DoesNotContain(Enterprise, without["schemas"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.True(without.ContainsKey("userName"));

        var (_, qualified) = await client.GetJsonAsync($"/scim/v2/Users/{id}?attributes={Uri.EscapeDataString(Enterprise + ":department,urn:ietf:params:scim:schemas:core:2.0:User:userName")}");
        Assert.Equal(["id", "meta", "schemas", Enterprise, "userName"], qualified!.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["department"], qualified![Enterprise]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task AlwaysReturnedNames_AreAcceptedAndKept()
    {
        var id = await UserAsync();

        var (response, user) = await client.GetJsonAsync($"/scim/v2/Users/{id}?attributes=schemas,id,meta.created,externalId");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["externalId", "id", "meta", "schemas"], user!.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RootSearch_NameKnownToOneResourceType_IsAcceptedAndUnknownToAllIsRejected()
    {
        var id = await UserAsync();
        var (response, body) = await client.PostJsonAsync("/scim/v2/.search",
            $$"""{"filter":"id eq \"{{id}}\"","attributes":["userName","members","displayName"]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["id", "meta", "schemas", "userName"], body!["Resources"]![0]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));

        var bad = await client.PostJsonAsync("/scim/v2/.search", """{"attributes":["userName","bogus"]}""");
        ScimHttp.AssertError(bad, 400, "invalidValue");
        Assert.Contains("'bogus'", bad.Body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task<string> UserAsync()
    {
        const string userName = "selection@sel.example";
        var (_, existing) = await client.GetJsonAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{userName}\"")}");
        if (existing!["Resources"]!.AsArray() is [{ } found, ..])
        {
            return found["id"]!.GetValue<string>();
        }

        return await client.CreateUserAsync(userName, $$"""
            "externalId":"sel-1","title":"Selector","name":{"givenName":"Sel","familyName":"Ection"},
            "emails":[{"type":"work","value":"work@sel.example","primary":true},{"type":"home","value":"home@sel.example"}],
            "{{Enterprise}}":{"department":"Selection","employeeNumber":"7"}
            """);
    }
}
