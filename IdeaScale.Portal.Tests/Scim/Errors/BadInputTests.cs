using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Scim.Errors;

/// <summary>
/// Hostile or careless input over real HTTP (Kestrel on loopback, raw paths sent exactly as written): every answer
/// under /scim/v2 is an RFC 7644 §3.12 error body in application/scim+json with a 4xx status, never a 500, an empty
/// body or HTML, and nothing is written.
/// </summary>
/// <remarks>
/// A NUL in the path (<c>%00</c>) never reaches the application: Kestrel refuses it before any middleware runs, and
/// <see cref="RejectedRequestLineTests"/> shows that refusal gets its SCIM body. The other control characters do reach
/// the application and get the SCIM answer here.
/// </remarks>
public sealed class BadInputTests(KestrelScimFactory factory, ScimFactory inProcess) : IClassFixture<KestrelScimFactory>, IClassFixture<ScimFactory>
{
    private const string PatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

    [Theory]
    [InlineData("GET", "/scim/v2/Users/abc%01def")]
    [InlineData("PUT", "/scim/v2/Groups/x%1Fy")]
    [InlineData("GET", "/scim/v2/Users/%7F")]
    public async Task Request_ControlCharacterInPath_Returns400InvalidSyntax(string method, string path)
    {
        using var client = inProcess.Scim();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using var response = await client.SendAsync(request);

        AssertScimError(((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync()), 400, "invalidSyntax");
    }

    [Fact]
    public async Task GetUser_ControlCharacterInPathOverKestrel_ReachesTheAppAs400InvalidSyntax()
    {
        var result = await SendAsync(HttpMethod.Get, "/scim/v2/Users/abc%01def");

        AssertScimError(result, 400, "invalidSyntax");
    }

    [Fact]
    public async Task CreateUser_InvalidUtf8Body_Returns400InvalidSyntaxAndCreatesNothing()
    {
        var result = await SendAsync(HttpMethod.Post, "/scim/v2/Users", "{\"userName\":\"utf8.bad\u00FF\u00FE@ides.example\",\"displayName\":\"x\"}");

        AssertScimError(result, 400, "invalidSyntax");
        Assert.Equal(0, await factory.WithDbAsync(db => db.Members.CountAsync(m => m.UserName.StartsWith("utf8.bad"))));
    }

    /// <summary>
    /// Other ways to reach the error path: bad percent-encoding, over-long ids, control characters, unpaired
    /// surrogates, duplicate keys and deep nesting at any level. Bodies are sent byte for byte: a char up to U+00FF
    /// is one byte, so "\u00FF" is the invalid UTF-8 byte 0xFF.
    /// </summary>
    public static TheoryData<string, string, string?, int, string?> Probes() => new()
    {
        { "GET", "/scim/v2/Users/abc%zz", null, 404, null },
        { "GET", "/scim/v2/Users/%", null, 404, null },
        { "GET", "/scim/v2/Users/%FF%FE%FD", null, 404, null },
        { "GET", "/scim/v2/Users/%ED%A0%80", null, 404, null },
        { "GET", "/scim/v2/Users/" + new string('7', 6000), null, 404, null },
        { "PATCH", "/scim/v2/Groups/" + new string('a', 6000), "{\"Operations\":[]}", 404, null },
        { "GET", "/scim/v2/Users?filter=userName%20eq%20%22a%01b%22", null, 400, "invalidFilter" },
        { "GET", "/scim/v2/Users?filter=userName%20eq%20%22a%00b%22", null, 400, "invalidFilter" },
        { "GET", "/scim/v2/Users?filter=userName%01eq%20%22a%22", null, 400, "invalidFilter" },
        { "GET", "/scim/v2/Users?filter=userName%00eq%20%22a%22", null, 400, "invalidFilter" },
        { "GET", "/scim/v2/Users?filter=%zz", null, 400, "invalidFilter" },
        { "GET", "/scim/v2/Users?count=%00", null, 400, "invalidValue" },
        { "GET", "/scim/v2/Users?sortBy=%00", null, 400, "invalidValue" },
        { "GET", "/scim/v2/Users?attributes=%00", null, 400, "invalidValue" },
        { "GET", "/scim/v2/Users?attributes=user%FFName", null, 400, "invalidValue" },
        { "POST", "/scim/v2/Users", "{\"userName\":\"dup.a@ides.example\",\"userName\":\"dup.b@ides.example\"}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users", "{\"userName\":\"dup.nested@ides.example\",\"name\":{\"givenName\":\"a\",\"givenName\":\"b\"}}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users", "{\"userName\":\"dup.array@ides.example\",\"emails\":[{\"value\":\"a@x\",\"value\":\"b@x\"}]}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users", "{\"userName\":\"dup.ext@ides.example\",\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"a\",\"department\":\"b\"}}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users", "{\"userName\":\"deep@ides.example\",\"name\":" + Nested(200) + "}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users", "{\"userName\":\"deep.array@ides.example\",\"emails\":" + new string('[', 100) + new string(']', 100) + "}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users", "{\"userName\":\"surrogate\\ud800@ides.example\"}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users", "{\"userName\":\"surrogate.key@ides.example\",\"\\udfff\":1}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users", "{\"userName\":\"raw.control\u0001@ides.example\"}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users", "\u00EF\u00BB\u00BF\u00FF{}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users", "", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users", "{\"userName\":\"nul\\u0000@ides.example\"}", 400, "invalidValue" },
        { "POST", "/scim/v2/Users", "{\"userName\":\"nul.name@ides.example\",\"title\\u0000\":\"x\"}", 400, "invalidValue" },
        { "POST", "/scim/v2/Groups", "{\"displayName\":\"G\",\"members\":[{\"value\":\"\\u0000\"}]}", 400, "invalidValue" },
        { "POST", "/scim/v2/Users/.search", "{\"filter\":\"userName eq \\\"\u00FF\\\"\"}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Groups", "{\"displayName\":\"G\u00C3\",\"members\":[]}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/.search", "{\"startIndex\":1,\"startIndex\":2}", 400, "invalidSyntax" },
        { "POST", "/scim/v2/Users/.search", "{\"count\":1e400}", 400, "invalidSyntax" },
    };

    [Theory]
    [MemberData(nameof(Probes))]
    public async Task Probe_BadInput_AnswersScimError(string method, string path, string? body, int status, string? scimType)
    {
        var result = await SendAsync(new HttpMethod(method), path, body);

        AssertScimError(result, status, scimType);
    }

    [Fact]
    public async Task PatchUser_DuplicateKeysOrInvalidUtf8InOperationValue_Returns400AndChangesNothing()
    {
        var client = factory.Scim();
        var id = await client.CreateUserAsync("patch.bad.input@ides.example", "\"title\":\"Before\"");

        AssertScimError(await SendAsync(HttpMethod.Patch, $"/scim/v2/Users/{id}",
            $$"""{"schemas":["{{PatchOp}}"],"Operations":[{"op":"replace","value":{"title":"A","title":"B"} }]}"""), 400, "invalidSyntax");
        AssertScimError(await SendAsync(HttpMethod.Patch, $"/scim/v2/Users/{id}",
            $$"""{"schemas":["{{PatchOp}}"],"Operations":[{"op":"replace","path":"title","value":"bad{{"\u00C0\u00C1"}}"}]}"""), 400, "invalidSyntax");
        AssertScimError(await SendAsync(HttpMethod.Patch, $"/scim/v2/Users/{id}",
            $$"""{"schemas":["{{PatchOp}}"],"Operations":[{"op":"replace","path":"title","value":"\udc00lone"}]}"""), 400, "invalidSyntax");

        var (_, user) = await client.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Equal("Before", user!["title"]!.GetValue<string>());
    }

    private static string Nested(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    private async Task<(int Status, string? MediaType, string Text)> SendAsync(HttpMethod method, string pathAndQuery, string? body = null)
    {
        using var client = factory.Scim();
        using var request = new HttpRequestMessage(method, factory.RawUrl(pathAndQuery));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.Latin1.GetBytes(body));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(ScimHttp.MediaType);
        }

        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    private static void AssertScimError((int Status, string? MediaType, string Text) result, int status, string? scimType)
    {
        var what = $"status {result.Status}, {result.MediaType ?? "no media type"}: {(result.Text.Length > 300 ? result.Text[..300] : result.Text)}";
        Assert.True(result.Status == status, $"expected {status}, got {what}");
        Assert.True(result.MediaType == ScimHttp.MediaType, $"expected a SCIM body, got {what}");
        var body = JsonNode.Parse(result.Text)!.AsObject();
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:Error", body["schemas"]![0]!.GetValue<string>());
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), body["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["detail"]?.GetValue<string>()));
        Assert.True(body["detail"]!.GetValue<string>().Length <= 600, "the detail is short, whatever the input's length");
        if (scimType is not null)
        {
            Assert.True(scimType == body["scimType"]?.GetValue<string>(), $"expected scimType {scimType}, got {what}");
        }
    }
}
