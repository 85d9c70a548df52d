using System.Net;

using IdeaScale.Portal.Scim.Users;

namespace IdeaScale.Portal.Tests.Scim.Users;

/// <summary>
/// filter=userName eq "…" has its own path (issue 6: the lookup IdPs send for every user on every sync), read by
/// UserReader in one command. It must answer exactly what the general filter path answers, in fewer statements.
/// </summary>
public sealed class UserLookupTests : IClassFixture<ScimFactory>
{
    private readonly ScimFactory factory;
    private readonly HttpClient client;

    public UserLookupTests(ScimFactory factory)
    {
        this.factory = factory;
        client = factory.Scim();
    }

    [Theory]
    [InlineData("userName eq \"x\"", "x")]
    [InlineData("USERNAME EQ \"Mixed.Case@ides.example\"", "Mixed.Case@ides.example")]
    [InlineData("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"y\"", "y")]
    [InlineData("userName ne \"x\"", null)]
    [InlineData("userName eq \"x\" and active eq true", null)]
    [InlineData("displayName eq \"x\"", null)]
    [InlineData("emails[value eq \"x\"]", null)]
    [InlineData(null, null)]
    public void UserNameLookup_RecognisesOnlyAPlainUserNameEquality(string? filter, string? expected) =>
        Assert.Equal(expected, UserResource.UserNameLookup(filter));

    [Theory]
    [InlineData("")]
    [InlineData("&startIndex=2")]
    [InlineData("&count=0")]
    [InlineData("&attributes=userName,emails")]
    [InlineData("&excludedAttributes=groups,addresses")]
    public async Task Lookup_AnswersLikeTheGeneralFilterPath(string parameters)
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var manager = await client.CreateUserAsync($"lookup.manager.{unique}@ides.example", "\"displayName\":\"The Manager\"");
        var id = await client.CreateUserAsync($"Lookup.Full.{unique}@ides.example", $$"""
            "displayName":"Lookup Full","emails":[{"value":"b@ides.example","type":"home"},{"value":"a@ides.example","type":"work","primary":true}],
            "addresses":[{"type":"work","locality":"Porto","country":"PT"}],"phoneNumbers":[{"value":"+351 1","type":"mobile"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"{{manager}}"},"department":"Ops"}
            """);
        await client.CreateGroupAsync($"lookup-b-{unique}", id);
        await client.CreateGroupAsync($"lookup-a-{unique}", id);
        var userName = $"lookup.full.{unique}@IDES.example";

        var (fastResponse, fast) = await client.GetJsonAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{userName}\"")}{parameters}");
        var (generalResponse, general) = await client.GetJsonAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{userName}\" and userName pr")}{parameters}");

        Assert.Equal(HttpStatusCode.OK, fastResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, generalResponse.StatusCode);
        Assert.Equal(1, fast!["totalResults"]!.GetValue<int>());
        Assert.Equal(general!.ToJsonString(), fast.ToJsonString());
    }

    [Fact]
    public async Task Lookup_UnknownUserName_ReturnsAnEmptyList()
    {
        var (response, body) = await client.GetJsonAsync($"/scim/v2/Users?filter={Uri.EscapeDataString("userName eq \"nobody@ides.example\"")}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, body!["totalResults"]!.GetValue<int>());
        Assert.Empty(body["Resources"]!.AsArray());
    }

    [Fact]
    public async Task Lookup_RunsOneCommand_UserWithItsRowsAndItsGroups()
    {
        var id = await client.CreateUserAsync("lookup.count@ides.example", "\"emails\":[{\"value\":\"c@ides.example\"}]");
        await client.CreateGroupAsync("lookup-count", id);
        var url = $"/scim/v2/Users?filter={Uri.EscapeDataString("userName eq \"lookup.count@ides.example\"")}";
        await client.GetJsonAsync(url);

        var mark = factory.Logs.Lines.Count;
        var (response, body) = await client.GetJsonAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("lookup-count", body!["Resources"]![0]!["groups"]![0]!["display"]!.GetValue<string>());
        // One command (one round trip), whatever number of statements it batches.
        var commands = factory.CommandsSince(mark).Where(l => !l.Contains("ProvisioningEvents", StringComparison.Ordinal)).ToList();
        Assert.Single(commands);
    }
}
