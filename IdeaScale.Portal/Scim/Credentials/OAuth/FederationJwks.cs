using System.Collections.Concurrent;
using System.Net.Http.Headers;

using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace IdeaScale.Portal.Scim.Credentials.OAuth;

/// <summary>
/// Downloads and caches the JWKS of an IdP tenant for workload identity federation. The URL is one an admin pasted, so
/// the download is fenced: https only (unless <see cref="OAuthFederationOptions.AllowHttpJwks"/>), no redirects at all
/// (so none to another host), a timeout (<see cref="OAuthFederationOptions.JwksTimeout"/>) and a size bound
/// (<see cref="OAuthFederationOptions.MaxJwksBytes"/>). A key set is kept for
/// <see cref="OAuthFederationOptions.JwksCacheDuration"/>; an unknown key id fetches it again at most once per
/// <see cref="OAuthFederationOptions.JwksRefreshInterval"/> (key rotation without letting a stranger make us fetch
/// on every request). A failed download yields no keys and is never an exception for the caller.
/// </summary>
public sealed partial class FederationJwks(
    IHttpClientFactory httpClients, IOptions<OAuthOptions> options, TimeProvider time, ILogger<FederationJwks> logger)
{
    public const string HttpClientName = "ScimFederationJwks";
    private const int MaxCachedSets = 1_000;

    private readonly ConcurrentDictionary<string, Entry> cache = new(StringComparer.Ordinal);

    private sealed record Entry(IReadOnlyList<SecurityKey> Keys, long FetchedAt);

    /// <summary>True when <paramref name="url"/> is an absolute https URL (or http, when allowed) without user info.</summary>
    public static bool IsAcceptableUrl(string? url, bool allowHttp) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (allowHttp && uri.Scheme == Uri.UriSchemeHttp))
        && string.IsNullOrEmpty(uri.UserInfo)
        && string.IsNullOrEmpty(uri.Fragment);

    /// <summary>The signing keys at <paramref name="url"/>, fetched again when <paramref name="keyId"/> is not among them (rate-limited).</summary>
    public async Task<IReadOnlyList<SecurityKey>> GetSigningKeysAsync(string url, string? keyId, CancellationToken ct)
    {
        var o = options.Value.Federation;
        if (!IsAcceptableUrl(url, o.AllowHttpJwks))
        {
            return [];
        }

        if (cache.TryGetValue(url, out var entry))
        {
            var age = time.GetElapsedTime(entry.FetchedAt);
            var hasKey = keyId is null || entry.Keys.Any(k => k.KeyId == keyId);
            if (age < o.JwksCacheDuration && (hasKey || age < o.JwksRefreshInterval))
            {
                return entry.Keys;
            }
        }

        var keys = await FetchAsync(url, o, ct);
        if (keys is null)
        {
            // Keep what we had (and when), so a failing URL is not fetched again on every request.
            return entry?.Keys ?? [];
        }

        if (cache.Count >= MaxCachedSets)
        {
            cache.Clear();
        }

        cache[url] = new Entry(keys, time.GetTimestamp());
        return keys;
    }

    private async Task<IReadOnlyList<SecurityKey>?> FetchAsync(string url, OAuthFederationOptions o, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(o.JwksTimeout);
        try
        {
            var client = httpClients.CreateClient(HttpClientName);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode != System.Net.HttpStatusCode.OK
                || response.Content.Headers.ContentLength is { } length && length > o.MaxJwksBytes)
            {
                LogFetchRefused(logger, (int)response.StatusCode);
                return null;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            var buffer = new byte[o.MaxJwksBytes + 1];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token)) > 0)
            {
                read += n;
            }

            if (read > o.MaxJwksBytes)
            {
                LogFetchRefused(logger, (int)response.StatusCode);
                return null;
            }

            var set = new JsonWebKeySet(System.Text.Encoding.UTF8.GetString(buffer, 0, read)) { SkipUnresolvedJsonWebKeys = true };
            return [.. set.GetSigningKeys()];
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            LogFetchTimedOut(logger);
            return null;
        }
#pragma warning disable CA1031 // Whatever the URL answers (network error, not JSON, bad keys), the assertion is refused, not a 500.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogFetchFailed(logger, ex.GetType().Name);
            return null;
        }
    }

    // The URL is not logged: an admin pasted it, and it is in the client's settings for whoever needs it.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Federation JWKS download refused (status {Status}, or larger than allowed)")]
    private static partial void LogFetchRefused(ILogger logger, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Federation JWKS download timed out")]
    private static partial void LogFetchTimedOut(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Federation JWKS download failed ({Error})")]
    private static partial void LogFetchFailed(ILogger logger, string error);
}
