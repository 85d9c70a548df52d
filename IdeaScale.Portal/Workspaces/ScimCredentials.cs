using System.Security.Cryptography;
using System.Text;

using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Workspaces;

/// <summary>
/// The only place that sees raw SCIM tokens: generates, hashes, protects, reveals, verifies and rotates them.
/// Tokens are 256 random bits with a recognisable <see cref="Prefix"/> so secret scanners can find leaked copies.
/// </summary>
public sealed class ScimCredentials(PortalDbContext db, IDataProtectionProvider protection, TimeProvider time)
{
    public const string Prefix = "iscim_";
    private const int TokenBytes = 32;

    /// <summary>Longest string considered as a token; anything longer is not one of ours.</summary>
    public const int MaxTokenLength = 512;
    private readonly IDataProtector protector = protection.CreateProtector("IdeaScale.Portal.ScimToken.v1");

    /// <summary>A new token: the prefix plus 32 bytes from the CSPRNG, base64url encoded.</summary>
    public static string NewToken() => Prefix + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(TokenBytes));

    /// <summary>Lower-case hex SHA-256 of the token, the lookup key stored in the database.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>True when <paramref name="token"/> hashes to <paramref name="storedHash"/>, compared in constant time.</summary>
    public static bool Matches(string token, string storedHash)
    {
        Span<byte> computed = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), computed);
        Span<byte> stored = stackalloc byte[SHA256.HashSizeInBytes];
        return Convert.FromHexString(storedHash, stored, out _, out var written) == System.Buffers.OperationStatus.Done
            && written == SHA256.HashSizeInBytes
            && CryptographicOperations.FixedTimeEquals(computed, stored);
    }

    /// <summary>The token in clear, for the admin's copy and show icons.</summary>
    public string Reveal(ScimCredential credential) => protector.Unprotect(credential.ProtectedToken);

    /// <summary>
    /// Issues a new current token for the workspace. The previous current token stops working at once, or at
    /// the end of <paramref name="gracePeriod"/> when one is given. Older replaced tokens are removed.
    /// Saves the change and returns the new token in clear (shown once prominently, then revealable).
    /// </summary>
    public async Task<(string Token, ScimCredential Credential)> IssueAsync(
        Guid workspaceId, string? actor, TimeSpan? gracePeriod = null, string? presetToken = null, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var token = presetToken ?? NewToken();

        var existing = await db.ScimCredentials.Where(c => c.WorkspaceId == workspaceId).ToListAsync(ct);
        foreach (var old in existing)
        {
            if (old.ExpiresAt is null && gracePeriod is { } grace && grace > TimeSpan.Zero)
            {
                old.ExpiresAt = now + grace;
            }
            else
            {
                db.ScimCredentials.Remove(old);
            }
        }

        var credential = new ScimCredential
        {
            WorkspaceId = workspaceId,
            TokenHash = Hash(token),
            ProtectedToken = protector.Protect(token),
            CreatedAt = now,
            CreatedBy = actor,
        };
        db.ScimCredentials.Add(credential);
        await db.SaveChangesAsync(ct);
        return (token, credential);
    }

    /// <summary>
    /// Finds the credential a presented token belongs to, if it is current or still inside its grace period.
    /// The lookup is by hash; the final comparison is constant-time.
    /// </summary>
    public async Task<ScimCredential?> FindAsync(string token, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return null;
        }

        var hash = Hash(token);
        var now = time.GetUtcNow().UtcDateTime;
        var credential = await db.ScimCredentials.AsNoTracking()
            .FirstOrDefaultAsync(c => c.TokenHash == hash && (c.ExpiresAt == null || c.ExpiresAt > now), ct);
        return credential is not null && Matches(token, credential.TokenHash) ? credential : null;
    }
}
