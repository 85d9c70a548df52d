using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace IdeaScale.Portal.Tests.Scim.Errors;

/// <summary>
/// Requests Kestrel refuses before any middleware runs (a NUL, <c>%00</c>, in the path) still get a SCIM error body
/// under /scim/v2, on a fresh connection and on a kept-alive one, and nothing else about the connection changes.
/// Sent over raw sockets so the bytes are exactly these.
/// </summary>
public sealed class RejectedRequestLineTests(KestrelScimFactory factory) : IClassFixture<KestrelScimFactory>
{
    [Fact]
    public async Task GetUser_NulInPath_Returns400InvalidSyntaxScimBody()
    {
        var responses = await ExchangeAsync($"GET /scim/v2/Users/abc%00def HTTP/1.1\r\nHost: {Authority}\r\nAuthorization: Bearer {ScimFactory.IdesToken}\r\n\r\n");

        AssertScimInvalidSyntax(Assert.Single(responses));
    }

    [Fact]
    public async Task NulInPath_AfterAnAnsweredRequestOnTheSameConnection_Returns400InvalidSyntaxScimBody()
    {
        var responses = await ExchangeAsync(
            $"GET /scim/v2/ServiceProviderConfig HTTP/1.1\r\nHost: {Authority}\r\nAuthorization: Bearer {ScimFactory.IdesToken}\r\n\r\n",
            $"PATCH /scim/v2/Groups/a%00b HTTP/1.1\r\nHost: {Authority}\r\nAuthorization: Bearer {ScimFactory.IdesToken}\r\nContent-Length: 2\r\n\r\n{{}}");

        Assert.Equal(2, responses.Count);
        Assert.Equal(200, responses[0].Status);
        Assert.Contains("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig", responses[0].Body, StringComparison.Ordinal);
        AssertScimInvalidSyntax(responses[1]);
    }

    [Fact]
    public async Task NulInPath_AbsoluteFormTarget_Returns400InvalidSyntaxScimBody()
    {
        var responses = await ExchangeAsync($"GET http://{Authority}/scim/v2/Users/%00 HTTP/1.1\r\nHost: {Authority}\r\n\r\n");

        AssertScimInvalidSyntax(Assert.Single(responses), fromKestrel: false);
    }

    [Fact]
    public async Task NulInPath_OutsideScim_KeepsKestrelsAnswer()
    {
        var responses = await ExchangeAsync($"GET /account/abc%00def HTTP/1.1\r\nHost: {Authority}\r\n\r\n");

        var response = Assert.Single(responses);
        Assert.Equal(400, response.Status);
        Assert.Equal("0", response.Headers["content-length"]);
        Assert.False(response.Headers.ContainsKey("content-type"));
    }

    [Fact]
    public async Task HeadWithNulInPath_GetsNoBody()
    {
        var responses = await ExchangeAsync($"HEAD /scim/v2/Users/%00 HTTP/1.1\r\nHost: {Authority}\r\n\r\n");

        var response = Assert.Single(responses);
        Assert.Equal(400, response.Status);
        Assert.Equal("0", response.Headers["content-length"]);
        Assert.Equal(string.Empty, response.Body);
    }

    [Fact]
    public async Task ScimErrorsTheAppWrites_AreSentAsWritten()
    {
        var responses = await ExchangeAsync(
            $"GET /scim/v2/Users/not-a-user HTTP/1.1\r\nHost: {Authority}\r\nAuthorization: Bearer {ScimFactory.IdesToken}\r\n\r\n",
            $"GET /scim/v2/Users HTTP/1.1\r\nHost: {Authority}\r\nConnection: close\r\n\r\n");

        Assert.Equal(2, responses.Count);
        Assert.Equal(404, responses[0].Status);
        Assert.Equal(401, responses[1].Status);
        Assert.Equal("404", JsonNode.Parse(responses[0].Body)!["status"]!.GetValue<string>());
        Assert.Equal("401", JsonNode.Parse(responses[1].Body)!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task HttpClient_NulInPath_GetsTheScimErrorAndTheNextRequestWorks()
    {
        using var client = factory.Scim();
        using var bad = await client.GetAsync(factory.RawUrl("/scim/v2/Users/abc%00def"));
        var text = await bad.Content.ReadAsStringAsync();
        using var next = await client.GetAsync("/scim/v2/ServiceProviderConfig");

        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Equal(ScimHttp.MediaType, bad.Content.Headers.ContentType?.MediaType);
        Assert.Equal("invalidSyntax", JsonNode.Parse(text)!["scimType"]!.GetValue<string>());
        Assert.Equal(200, (int)next.StatusCode);
    }

    /// <summary>A SCIM invalidSyntax answer; <paramref name="fromKestrel"/>: Kestrel refused the line (the app never ran).</summary>
    private static void AssertScimInvalidSyntax(RawResponse response, bool fromKestrel = true)
    {
        Assert.Equal(400, response.Status);
        Assert.StartsWith(ScimHttp.MediaType, response.Headers["content-type"], StringComparison.Ordinal);
        var body = JsonNode.Parse(response.Body)!.AsObject();
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:Error", body["schemas"]![0]!.GetValue<string>());
        Assert.Equal("400", body["status"]!.GetValue<string>());
        Assert.Equal("invalidSyntax", body["scimType"]!.GetValue<string>());
        if (!fromKestrel)
        {
            return;
        }

        Assert.Equal(Encoding.UTF8.GetByteCount(response.Body).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers["content-length"]);
        Assert.Contains("%00", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private string Authority => factory.RawUrl("/").Authority;

    private sealed record RawResponse(int Status, Dictionary<string, string> Headers, string Body);

    /// <summary>Sends the requests one after another on one connection and reads every response until the server closes it.</summary>
    private async Task<List<RawResponse>> ExchangeAsync(params string[] requests)
    {
        var url = factory.RawUrl("/");
        using var socket = new TcpClient();
        await socket.ConnectAsync(url.Host == "localhost" ? "127.0.0.1" : url.Host, url.Port);
        var stream = socket.GetStream();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var responses = new List<RawResponse>();
        var received = new List<byte>();
        for (var i = 0; i < requests.Length; i++)
        {
            var request = requests[i];
            if (i == requests.Length - 1 && !request.Contains("Connection: close", StringComparison.Ordinal))
            {
                request = request.Replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n", StringComparison.Ordinal);
            }

            await stream.WriteAsync(Encoding.Latin1.GetBytes(request), cancel.Token);
            if (i < requests.Length - 1)
            {
                responses.Add(await ReadOneAsync(stream, received, isHead: false, cancel.Token));
            }
        }

        var buffer = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancel.Token)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, read));
        }

        var isHead = requests[^1].StartsWith("HEAD", StringComparison.Ordinal);
        while (received.Count > 0)
        {
            responses.Add(Parse(received, isHead));
        }

        return responses;
    }

    private static async Task<RawResponse> ReadOneAsync(NetworkStream stream, List<byte> received, bool isHead, CancellationToken cancel)
    {
        var buffer = new byte[8192];
        while (true)
        {
            if (TryParse(received, isHead, out var response))
            {
                return response;
            }

            var read = await stream.ReadAsync(buffer, cancel);
            Assert.True(read > 0, "the server closed the connection before answering");
            received.AddRange(buffer.AsSpan(0, read));
        }
    }

    private static RawResponse Parse(List<byte> received, bool isHead) =>
        TryParse(received, isHead, out var response) ? response : throw new InvalidOperationException("incomplete response: " + Encoding.Latin1.GetString([.. received]));

    private static bool TryParse(List<byte> received, bool isHead, out RawResponse response)
    {
        response = null!;
        var text = Encoding.Latin1.GetString([.. received]);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        var lines = text[..end].Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).GroupBy(p => p[0].Trim().ToLowerInvariant())
            .ToDictionary(g => g.Key, g => string.Join(", ", g.Select(p => p[1].Trim())));
        string body;
        int consumed;
        if (!isHead && headers.GetValueOrDefault("transfer-encoding") == "chunked")
        {
            // Latin-1 keeps one char per byte, so offsets in the text are offsets in the bytes.
            var chunks = new StringBuilder();
            var at = end + 4;
            while (true)
            {
                var lineEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
                if (lineEnd < 0)
                {
                    return false;
                }

                var size = Convert.ToInt32(text[at..lineEnd], 16);
                if (text.Length < lineEnd + 2 + size + 2)
                {
                    return false;
                }

                chunks.Append(text, lineEnd + 2, size);
                at = lineEnd + 2 + size + 2;
                if (size == 0)
                {
                    break;
                }
            }

            body = Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(chunks.ToString()));
            consumed = at;
        }
        else
        {
            var length = isHead || !headers.TryGetValue("content-length", out var value) ? 0 : int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            if (received.Count < end + 4 + length)
            {
                return false;
            }

            body = Encoding.UTF8.GetString([.. received.Skip(end + 4).Take(length)]);
            consumed = end + 4 + length;
        }

        received.RemoveRange(0, consumed);
        response = new RawResponse(int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), headers, body);
        return true;
    }
}
