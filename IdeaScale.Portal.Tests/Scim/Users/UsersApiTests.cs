using System.Net;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Logging;

using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Scim.Users;

public sealed class UsersApiTests : IClassFixture<ScimFactory>
{
    private readonly ScimFactory factory;
    private readonly HttpClient client;

    public UsersApiTests(ScimFactory factory)
    {
        this.factory = factory;
        client = factory.Scim();
    }

    [Fact]
    public async Task CreateUser_FullBody_Returns201WithLocationEqualToMetaLocationAndStoredValues()
    {
        var (response, body) = await client.PostJsonAsync("/scim/v2/Users", """
            {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
             "externalId":"ext-1","userName":"Create.Full@ides.example","active":true,"displayName":"Create Full",
             "name":{"givenName":"Create","familyName":"Full","formatted":null},
             "emails":[{"primary":true,"type":"work","value":"create.full@ides.example"}],
             "phoneNumbers":[{"type":"mobile","value":"+1 555 0100"}],
             "addresses":[{"type":"work","locality":"Lisbon","country":"PT","primary":true}],
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"42","department":"R&D"},
             "urn:ideascale:params:scim:schemas:extension:2.0:User":{"businessUnit":"Labs"},
             "meta":{"resourceType":"User"},"roles":[],"unknownThing":"ignored"}
            """);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = body!["id"]!.GetValue<string>();
        Assert.Equal($"{ScimFactory.IdesBase}/Users/{id}", body["meta"]!["location"]!.GetValue<string>());
        Assert.Equal(body["meta"]!["location"]!.GetValue<string>(), response.Headers.Location!.ToString());
        Assert.Equal(body["meta"]!["version"]!.GetValue<string>(), response.Headers.ETag!.ToString());
        Assert.Equal("User", body["meta"]!["resourceType"]!.GetValue<string>());
        Assert.Equal("Create.Full@ides.example", body["userName"]!.GetValue<string>());
        Assert.Equal("ext-1", body["externalId"]!.GetValue<string>());
        Assert.Equal("Create", body["name"]!["givenName"]!.GetValue<string>());
        Assert.False(body["name"]!.AsObject().ContainsKey("formatted"));
        Assert.Equal("create.full@ides.example", body["emails"]![0]!["value"]!.GetValue<string>());
        Assert.True(body["emails"]![0]!["primary"]!.GetValue<bool>());
        Assert.Equal("Lisbon", body["addresses"]![0]!["locality"]!.GetValue<string>());
        Assert.Equal("42", body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]!["employeeNumber"]!.GetValue<string>());
        Assert.Equal("Labs", body["urn:ideascale:params:scim:schemas:extension:2.0:User"]!["businessUnit"]!.GetValue<string>());
        Assert.Equal(
            ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:ideascale:params:scim:schemas:extension:2.0:User"],
            body["schemas"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.False(body.ContainsKey("unknownThing"));

        var (_, fetched) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Equal(body.ToJsonString(), fetched!.ToJsonString());
    }

    [Fact]
    public async Task CreateUser_ApplicationJsonContentType_IsAccepted()
    {
        using var content = ScimHttp.Json("""{"userName":"json.type@ides.example"}""", "application/json");
        var response = await client.PostAsync("/scim/v2/Users", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/scim+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task CreateUser_TextPlain_Returns415ScimError()
    {
        using var content = ScimHttp.Json("""{"userName":"plain@ides.example"}""", "text/plain");
        var response = await client.PostAsync("/scim/v2/Users", content);
        ScimHttp.AssertError((response, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject()), 415);
        Assert.Equal("application/scim+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task CreateUser_MalformedJson_Returns400InvalidSyntax() =>
        ScimHttp.AssertError(await client.PostJsonAsync("/scim/v2/Users", """{"userName": """), 400, "invalidSyntax");

    [Fact]
    public async Task CreateUser_WrongType_Returns400InvalidValue()
    {
        ScimHttp.AssertError(await client.PostJsonAsync("/scim/v2/Users", """{"userName":"wrong.type@ides.example","active":"maybe"}"""), 400, "invalidValue");
        ScimHttp.AssertError(await client.PostJsonAsync("/scim/v2/Users", """{"userName":["a"]}"""), 400, "invalidValue");
        ScimHttp.AssertError(await client.PostJsonAsync("/scim/v2/Users", """{"displayName":"no user name"}"""), 400, "invalidValue");
    }

    [Fact]
    public async Task CreateUser_DuplicateUserNameDifferentCase_Returns409Uniqueness()
    {
        await client.CreateUserAsync("Dup.User@ides.example");
        ScimHttp.AssertError(await client.PostJsonAsync("/scim/v2/Users", """{"userName":"DUP.USER@IDES.EXAMPLE"}"""), 409, "uniqueness");
    }

    [Fact]
    public async Task CreateUser_ConcurrentDuplicates_ExactlyOneCreated()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            factory.Scim().PostJsonAsync("/scim/v2/Users", """{"userName":"race@ides.example"}""")));
        Assert.Single(attempts, a => a.Response.StatusCode == HttpStatusCode.Created);
        Assert.All(attempts.Where(a => a.Response.StatusCode != HttpStatusCode.Created), a => ScimHttp.AssertError(a, 409, "uniqueness"));
    }

    [Fact]
    public async Task Password_OnCreateAndPatch_StoredAsIdentityHashAndNeverReturned()
    {
        var (response, body) = await client.PostJsonAsync("/scim/v2/Users", """{"userName":"pw@ides.example","password":"S3cret-Pass!"}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.DoesNotContain("S3cret", body!.ToJsonString(), StringComparison.Ordinal);
        Assert.False(body.ContainsKey("password"));
        var id = Guid.Parse(body["id"]!.GetValue<string>());
        var hasher = new PasswordHasher<WorkspaceMember>();
        var member = await factory.WithDbAsync(db => db.Members.SingleAsync(m => m.Id == id));
        Assert.Equal(PasswordVerificationResult.Success, hasher.VerifyHashedPassword(member, member.PasswordHash!, "S3cret-Pass!"));

        var (patched, patchedBody) = await client.PatchJsonAsync($"/scim/v2/Users/{id}",
            """{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"N3w-Pass!"}]}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.False(patchedBody!.ContainsKey("password"));
        member = await factory.WithDbAsync(db => db.Members.SingleAsync(m => m.Id == id));
        Assert.Equal(PasswordVerificationResult.Success, hasher.VerifyHashedPassword(member, member.PasswordHash!, "N3w-Pass!"));
        Assert.DoesNotContain("N3w-Pass!", factory.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cret-Pass!", factory.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetUser_OtherWorkspacesIdOrGarbage_Returns404ScimError()
    {
        var acmeUser = await factory.Scim(ScimFactory.AcmeToken).CreateUserAsync("acme.only@acme.example");
        ScimHttp.AssertError(await client.GetJsonAsync($"/scim/v2/Users/{acmeUser}"), 404);
        ScimHttp.AssertError(await client.GetJsonAsync("/scim/v2/Users/00919288221112222"), 404);
        ScimHttp.AssertError(await client.GetJsonAsync($"/scim/v2/Users/{Guid.NewGuid()}"), 404);
        ScimHttp.AssertError(await client.SendAsync(HttpMethod.Delete, $"/scim/v2/Users/{acmeUser}"), 404);
        ScimHttp.AssertError(await client.PatchJsonAsync($"/scim/v2/Users/{acmeUser}", """{"Operations":[{"op":"replace","path":"active","value":false}]}"""), 404);
    }

    [Fact]
    public async Task GetUser_IfNoneMatchCurrent_Returns304()
    {
        var id = await client.CreateUserAsync("etag304@ides.example");
        var (first, _) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        var etag = first.Headers.ETag!.ToString();
        var (second, body) = await client.SendAsync(HttpMethod.Get, $"/scim/v2/Users/{id}", configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", etag));
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Null(body);
    }

    [Fact]
    public async Task PatchUser_StaleIfMatch_Returns412AndChangesNothing()
    {
        var id = await client.CreateUserAsync("etag412@ides.example", "\"title\":\"Before\"");
        var (_, created) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        var stale = created!["meta"]!["version"]!.GetValue<string>();
        await client.PatchJsonAsync($"/scim/v2/Users/{id}", """{"Operations":[{"op":"replace","path":"title","value":"Middle"}]}""");

        var result = await client.SendAsync(HttpMethod.Patch, $"/scim/v2/Users/{id}",
            """{"Operations":[{"op":"replace","path":"title","value":"After"}]}""", r => r.Headers.TryAddWithoutValidation("If-Match", stale));
        ScimHttp.AssertError(result, 412);
        var put = await client.SendAsync(HttpMethod.Put, $"/scim/v2/Users/{id}", """{"userName":"etag412@ides.example","title":"Put"}""",
            r => r.Headers.TryAddWithoutValidation("If-Match", stale));
        ScimHttp.AssertError(put, 412);
        var (_, after) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Equal("Middle", after!["title"]!.GetValue<string>());

        var current = after["meta"]!["version"]!.GetValue<string>();
        var ok = await client.SendAsync(HttpMethod.Patch, $"/scim/v2/Users/{id}",
            """{"Operations":[{"op":"replace","path":"title","value":"After"}]}""", r => r.Headers.TryAddWithoutValidation("If-Match", current));
        Assert.Equal(HttpStatusCode.OK, ok.Response.StatusCode);
        Assert.NotEqual(current, ok.Response.Headers.ETag!.ToString());
    }

    [Fact]
    public async Task PatchUser_ConcurrentPatchesWithoutIfMatch_NoChangeIsLost()
    {
        var id = await client.CreateUserAsync("concurrent@ides.example");
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => factory.Scim().PatchJsonAsync($"/scim/v2/Users/{id}",
            $$"""{"Operations":[{"op":"add","path":"emails","value":[{"type":"other","value":"c{{i}}@ides.example"}]}]}""")));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Response.StatusCode));
        var (_, user) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Equal(5, user!["emails"]!.AsArray().Count);
    }

    [Fact]
    public async Task ReplaceUser_Put_ReplacesWritableAttributesAndIgnoresReadOnly()
    {
        var id = await client.CreateUserAsync("put.me@ides.example", "\"title\":\"T\",\"nickName\":\"N\",\"emails\":[{\"value\":\"a@x\"}]");
        var (response, body) = await client.PutJsonAsync($"/scim/v2/Users/{id}",
            $$"""{"id":"{{Guid.NewGuid()}}","userName":"put.me@ides.example","name":{"middleName":"M"},"meta":{"created":"2000-01-01T00:00:00Z"},"groups":[{"value":"{{Guid.NewGuid()}}"}]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(id, body!["id"]!.GetValue<string>());
        Assert.False(body.ContainsKey("title"));
        Assert.False(body.ContainsKey("emails"));
        Assert.False(body.ContainsKey("groups"));
        Assert.Equal("M", body["name"]!["middleName"]!.GetValue<string>());
        Assert.NotEqual("2000-01-01T00:00:00Z", body["meta"]!["created"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReplaceUser_UserNameOfAnother_Returns409()
    {
        await client.CreateUserAsync("taken@ides.example");
        var id = await client.CreateUserAsync("free@ides.example");
        ScimHttp.AssertError(await client.PutJsonAsync($"/scim/v2/Users/{id}", """{"userName":"TAKEN@ides.example"}"""), 409, "uniqueness");
        ScimHttp.AssertError(await client.PatchJsonAsync($"/scim/v2/Users/{id}", """{"Operations":[{"op":"replace","path":"userName","value":"Taken@ides.example"}]}"""), 409, "uniqueness");
    }

    [Fact]
    public async Task Deactivate_UserStaysReadableAndFilterable()
    {
        var id = await client.CreateUserAsync("inactive@ides.example");
        var (patched, body) = await client.PatchJsonAsync($"/scim/v2/Users/{id}", """{"Operations":[{"op":"replace","path":"active","value":false}]}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.False(body!["active"]!.GetValue<bool>());
        var (_, list) = await client.GetJsonAsync("/scim/v2/Users?filter=" + Uri.EscapeDataString("userName eq \"inactive@ides.example\" and active eq false"));
        Assert.Equal(1, list!["totalResults"]!.GetValue<int>());
        Assert.Equal(id, list["Resources"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteUser_RemovesUserAndMemberships_ThenGet404AndUserNameReusable()
    {
        var id = await client.CreateUserAsync("delete.me@ides.example");
        var groupId = await client.CreateGroupAsync("Delete Me Group", id);
        var (deleted, body) = await client.SendAsync(HttpMethod.Delete, $"/scim/v2/Users/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Null(body);
        ScimHttp.AssertError(await client.GetJsonAsync($"/scim/v2/Users/{id}"), 404);
        Assert.False(await factory.WithDbAsync(db => db.GroupMemberships.AnyAsync(m => m.MemberId == Guid.Parse(id))));
        var (_, group) = await client.GetJsonAsync($"/scim/v2/Groups/{groupId}");
        Assert.False(group!.ContainsKey("members"));
        await client.CreateUserAsync("delete.me@ides.example");
        ScimHttp.AssertError(await client.SendAsync(HttpMethod.Delete, $"/scim/v2/Users/{id}"), 404);
    }

    [Fact]
    public async Task ListUsers_PagingIsClampedStableAndIntegers()
    {
        var acme = factory.Scim(ScimFactory.AcmeToken);
        for (var i = 0; i < 5; i++)
        {
            await acme.CreateUserAsync($"page{i}@acme.example");
        }

        var (_, all) = await acme.GetJsonAsync("/scim/v2/Users?startIndex=-3&count=1000&aadOptscim062020");
        var total = all!["totalResults"]!.GetValue<int>();
        Assert.True(total >= 5);
        Assert.Equal(1, all["startIndex"]!.GetValue<int>());
        Assert.Equal(total, all["itemsPerPage"]!.GetValue<int>());
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:ListResponse", all["schemas"]![0]!.GetValue<string>());
        var ids = all["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ToList();

        var paged = new List<string>();
        for (var start = 1; start <= total; start += 2)
        {
            var (_, page) = await acme.GetJsonAsync($"/scim/v2/Users?startIndex={start}&count=2");
            Assert.Equal(start, page!["startIndex"]!.GetValue<int>());
            Assert.Equal(page["Resources"]!.AsArray().Count, page["itemsPerPage"]!.GetValue<int>());
            paged.AddRange(page["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));
        }

        Assert.Equal(ids, paged);
        var (_, none) = await acme.GetJsonAsync("/scim/v2/Users?count=-1");
        Assert.Equal(0, none!["itemsPerPage"]!.GetValue<int>());
        Assert.Empty(none["Resources"]!.AsArray());
        Assert.Equal(total, none["totalResults"]!.GetValue<int>());
        ScimHttp.AssertError(await acme.GetJsonAsync("/scim/v2/Users?count=abc"), 400, "invalidValue");
    }

    [Fact]
    public async Task ListUsers_CountAboveMaxResults_IsCapped()
    {
        using var capped = new ScimFactoryWithMax();
        var scim = capped.Scim();
        for (var i = 0; i < 3; i++)
        {
            await scim.CreateUserAsync($"cap{i}@ides.example");
        }

        var (_, list) = await scim.GetJsonAsync("/scim/v2/Users?count=50");
        Assert.Equal(2, list!["itemsPerPage"]!.GetValue<int>());
        var (_, config) = await scim.GetJsonAsync("/scim/v2/ServiceProviderConfig");
        Assert.Equal(2, config!["filter"]!["maxResults"]!.GetValue<int>());
    }

    [Fact]
    public async Task ListUsers_AttributesAndExcluded_AlwaysReturnIdSchemasMeta()
    {
        await client.CreateUserAsync("attrs@ides.example", "\"title\":\"Boss\",\"name\":{\"givenName\":\"A\",\"familyName\":\"B\"}");
        var filter = Uri.EscapeDataString("userName eq \"attrs@ides.example\"");
        var (_, only) = await client.GetJsonAsync($"/scim/v2/Users?filter={filter}&attributes=name.givenName");
        var user = only!["Resources"]![0]!.AsObject();
        Assert.Equal(["id", "meta", "name", "schemas"], user.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["givenName"], user["name"]!.AsObject().Select(p => p.Key));

        var (_, excluded) = await client.GetJsonAsync($"/scim/v2/Users?filter={filter}&excludedAttributes=title,id,meta");
        var ex = excluded!["Resources"]![0]!.AsObject();
        Assert.False(ex.ContainsKey("title"));
        Assert.True(ex.ContainsKey("id"));
        Assert.True(ex.ContainsKey("meta"));
        Assert.True(ex.ContainsKey("userName"));
    }

    [Fact]
    public async Task Search_PostDotSearch_FiltersLikeGet()
    {
        await client.CreateUserAsync("searched@ides.example");
        var (response, body) = await client.PostJsonAsync("/scim/v2/Users/.search",
            """{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"SEARCHED@ides.example\"","attributes":["userName"],"startIndex":1,"count":10}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, body!["totalResults"]!.GetValue<int>());
        Assert.False(body["Resources"]![0]!.AsObject().ContainsKey("emails"));

        var (_, root) = await client.PostJsonAsync("/scim/v2/.search", """{"filter":"displayName eq \"Engineering\""}""");
        Assert.Contains(root!["Resources"]!.AsArray(), r => r!["meta"]!["resourceType"]!.GetValue<string>() == "Group");
        ScimHttp.AssertError(await client.PostJsonAsync("/scim/v2/Users/.search", """{"filter":"userName xx \"a\""}"""), 400, "invalidFilter");
    }

    [Theory]
    [InlineData("""{"Operations":[{"op":"remove"}]}""", "noTarget")]
    [InlineData("""{"Operations":[{"op":"replace","path":"id","value":"x"}]}""", "mutability")]
    [InlineData("""{"Operations":[{"op":"replace","path":"meta.version","value":"x"}]}""", "mutability")]
    [InlineData("""{"Operations":[{"op":"add","path":"nickName]","value":"x"}]}""", "invalidPath")]
    [InlineData("""{"Operations":[{"op":"add","path":"notAnAttribute","value":"x"}]}""", "invalidPath")]
    [InlineData("""{"Operations":[{"op":"replace","path":"emails[value co \"nothing-matches\"]","value":{"display":"x"}}]}""", "noTarget")]
    [InlineData("""{"Operations":[{"op":"replace","path":"emails[nope eq \"x\"].value","value":"x"}]}""", "invalidFilter")]
    [InlineData("""{"Operations":"add"}""", "invalidSyntax")]
    [InlineData("""{"Operations":[{"op":"jump","path":"title","value":"x"}]}""", "invalidSyntax")]
    public async Task PatchUser_BadOperation_Returns400WithScimTypeAndChangesNothing(string body, string scimType)
    {
        var id = await client.CreateUserAsync($"bad.patch.{Guid.NewGuid():N}@ides.example", "\"emails\":[{\"type\":\"work\",\"value\":\"w@x\"}]");
        var (_, before) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        ScimHttp.AssertError(await client.PatchJsonAsync($"/scim/v2/Users/{id}", body), 400, scimType);
        var (_, after) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Equal(before!.ToJsonString(), after!.ToJsonString());
    }

    [Fact]
    public async Task DeleteUser_StaleIfMatch_Returns412AndKeepsUser()
    {
        var id = await client.CreateUserAsync("delete.412@ides.example");
        ScimHttp.AssertError(await client.SendAsync(HttpMethod.Delete, $"/scim/v2/Users/{id}", configure: r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"999\"")), 412);
        Assert.Equal(HttpStatusCode.OK, (await client.GetJsonAsync($"/scim/v2/Users/{id}")).Response.StatusCode);
    }

    [Fact]
    public async Task Lifecycle_RecordsOperationsWithRedactedSummaries()
    {
        var id = await client.CreateUserAsync("logged@ides.example", "\"password\":\"Log-Secret-1!\"");
        await client.PatchJsonAsync($"/scim/v2/Users/{id}", """{"Operations":[{"op":"replace","path":"active","value":false}]}""");
        await client.PatchJsonAsync($"/scim/v2/Users/{id}", """{"Operations":[{"op":"replace","path":"active","value":true}]}""");
        await client.SendAsync(HttpMethod.Delete, $"/scim/v2/Users/{id}");
        await factory.Services.GetRequiredService<ProvisioningLogWriter>().FlushAsync();
        var events = await factory.WithDbAsync(db => db.ProvisioningEvents.Where(e => e.ResourceId == id).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(
            [ProvisioningOperation.Create, ProvisioningOperation.Deactivate, ProvisioningOperation.Reactivate, ProvisioningOperation.Delete],
            events.Select(e => e.Operation));
        Assert.Contains("password", events[0].Summary, StringComparison.Ordinal);
        Assert.All(events, e => Assert.DoesNotContain("Log-Secret", e.Summary ?? "", StringComparison.Ordinal));
    }

    private sealed class ScimFactoryWithMax() : Infrastructure.PortalFactory(null, new Dictionary<string, string?>
    {
        ["Scim:RateLimit:RequestsPerSecond"] = "0",
        ["Scim:MaxResults"] = "2",
    })
    {
        public HttpClient Scim()
        {
            var client = CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", IdesToken);
            return client;
        }
    }
}
