using System.Net;

using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Tests.Scim.Discovery;

public sealed class DiscoveryTests : IClassFixture<ScimFactory>
{
    private readonly HttpClient client;

    public DiscoveryTests(ScimFactory factory) => client = factory.Scim();

    [Fact]
    public async Task ServiceProviderConfig_AdvertisesHonestCapabilities()
    {
        var (response, body) = await client.GetJsonAsync("/scim/v2/ServiceProviderConfig");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body!["patch"]!["supported"]!.GetValue<bool>());
        Assert.True(body["filter"]!["supported"]!.GetValue<bool>());
        Assert.Equal(200, body["filter"]!["maxResults"]!.GetValue<int>());
        Assert.True(body["sort"]!["supported"]!.GetValue<bool>());
        Assert.True(body["etag"]!["supported"]!.GetValue<bool>());
        Assert.True(body["changePassword"]!["supported"]!.GetValue<bool>());
        Assert.False(body["bulk"]!["supported"]!.GetValue<bool>());
        Assert.Contains(body["authenticationSchemes"]!.AsArray(), s => s!["type"]!.GetValue<string>() == "oauthbearertoken");
    }

    [Fact]
    public async Task Schemas_ListGeneratedFromRegistry()
    {
        var (response, body) = await client.GetJsonAsync("/scim/v2/Schemas");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:ListResponse", body!["schemas"]![0]!.GetValue<string>());
        Assert.Equal(ScimRegistry.Schemas.Select(s => s.Id), body["Resources"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()));
        var user = body["Resources"]![0]!;
        var userName = user["attributes"]!.AsArray().Single(a => a!["name"]!.GetValue<string>() == "userName")!;
        Assert.False(userName["caseExact"]!.GetValue<bool>());
        Assert.Equal("server", userName["uniqueness"]!.GetValue<string>());
        var password = user["attributes"]!.AsArray().Single(a => a!["name"]!.GetValue<string>() == "password")!;
        Assert.Equal("writeOnly", password["mutability"]!.GetValue<string>());
        Assert.Equal("never", password["returned"]!.GetValue<string>());
        Assert.Equal(ScimRegistry.User.Attributes.Count, user["attributes"]!.AsArray().Count);
    }

    [Fact]
    public async Task SchemaById_KnownAndUnknown()
    {
        var (ok, body) = await client.GetJsonAsync("/scim/v2/Schemas/urn:ideascale:params:scim:schemas:extension:2.0:User");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains(body!["attributes"]!.AsArray(), a => a!["name"]!.GetValue<string>() == "businessUnit");
        ScimHttp.AssertError(await client.GetJsonAsync("/scim/v2/Schemas/urn:nope"), 404);
    }

    [Fact]
    public async Task ResourceTypes_ListAndById()
    {
        var (_, list) = await client.GetJsonAsync("/scim/v2/ResourceTypes");
        Assert.Equal(2, list!["totalResults"]!.GetValue<int>());
        var (_, user) = await client.GetJsonAsync("/scim/v2/ResourceTypes/User");
        Assert.Equal("/Users", user!["endpoint"]!.GetValue<string>());
        Assert.Equal(
            ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:ideascale:params:scim:schemas:extension:2.0:User"],
            user["schemaExtensions"]!.AsArray().Select(e => e!["schema"]!.GetValue<string>()));
        Assert.Equal($"{ScimFactory.IdesBase}/ResourceTypes/User", user["meta"]!["location"]!.GetValue<string>());
        ScimHttp.AssertError(await client.GetJsonAsync("/scim/v2/ResourceTypes/Nope"), 404);
    }

    [Theory]
    [InlineData("GET", "/scim/v2/Me")]
    [InlineData("POST", "/scim/v2/Bulk")]
    public async Task MeAndBulk_Return501ScimError(string method, string url) =>
        ScimHttp.AssertError(await client.SendAsync(new HttpMethod(method), url, method == "POST" ? "{}" : null), 501);

    [Fact]
    public async Task UnknownRoute_Returns404ScimBodyNotHtml() =>
        ScimHttp.AssertError(await client.GetJsonAsync("/scim/v2/Nope/1"), 404);
}
