using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

using IdeaScale.Portal.Tests.Infrastructure;

namespace IdeaScale.Portal.Tests.Scim.Credentials.OAuth;

/// <summary>Token requests as Entra sends them: client_secret_basic (header) or client_secret_post (body).</summary>
public static class OAuthTestKit
{
    public const string TokenPath = "oauth/token";

    public static Task<HttpResponseMessage> RequestTokenBasicAsync(HttpClient client, string clientId, string secret, string? scope = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, TokenPath)
        {
            Content = Form(("grant_type", "client_credentials"), ("scope", scope)),
        };
        // RFC 6749 §2.3.1: id and secret are form-encoded before base64.
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> RequestTokenPostAsync(HttpClient client, string clientId, string secret, string? scope = null, string grantType = "client_credentials") =>
        client.PostAsync(TokenPath, Form(("grant_type", grantType), ("client_id", clientId), ("client_secret", secret), ("scope", scope)));

    public static FormUrlEncodedContent Form(params (string Key, string? Value)[] fields) =>
        new(fields.Where(f => f.Value is not null).Select(f => new KeyValuePair<string, string>(f.Key, f.Value!)));

    /// <summary>The access token of a successful token response (asserting the RFC 6749 §5.1 shape).</summary>
    public static async Task<string> AccessTokenAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"token request failed: {(int)response.StatusCode} {text}");
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.True(body.GetProperty("expires_in").GetInt32() > 0);
        return body.GetProperty("access_token").GetString()!;
    }

    /// <summary>The OAuth error code of a refused token request (RFC 6749 §5.2).</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        Assert.False(response.IsSuccessStatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return body.GetProperty("error").GetString()!;
    }

    public static Task<string> IdesAccessTokenAsync(HttpClient client) =>
        RequestTokenBasicAsync(client, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret).ContinueWith(t => AccessTokenAsync(t.Result)).Unwrap();
}
