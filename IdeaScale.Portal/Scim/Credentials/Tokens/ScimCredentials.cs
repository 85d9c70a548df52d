using System.Security.Cryptography;
using System.Text;

using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Scim.Credentials.Tokens;

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
    /// Issues a new current token for the workspace, replacing <paramref name="replacing"/>: the credential the caller
    /// saw as current (null when it saw none). That credential stops working at once, or at the end of
    /// <paramref name="gracePeriod"/> when one is given; older replaced tokens are removed. Saves the change (and
    /// whatever else the caller added to <see cref="db"/>, such as its audit row) in one transaction and returns the
    /// new token in clear.
    /// <para>
    /// Atomic under concurrency: the expected current credential is retired by one conditional UPDATE (or DELETE)
    /// before anything else is written, so of several regenerations that saw the same token exactly one matches it;
    /// the others change nothing and get <see cref="ScimTokenConflictException"/>. The unique index on
    /// <see cref="ScimCredential.CurrentWorkspaceId"/> lets the database itself refuse a second current token (on
    /// SQLite the transaction also starts with BEGIN IMMEDIATE, on PostgreSQL the UPDATE waits for the winner's row
    /// lock and then no longer matches).
    /// </para>
    /// </summary>
    public async Task<(string Token, ScimCredential Credential)> IssueAsync(
        Guid workspaceId, string? actor, Guid? replacing, TimeSpan? gracePeriod = null, string? presetToken = null, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var token = presetToken ?? NewToken();
        var credential = new ScimCredential
        {
            WorkspaceId = workspaceId,
            CurrentWorkspaceId = workspaceId,
            TokenHash = Hash(token),
            ProtectedToken = protector.Protect(token),
            CreatedAt = now,
            CreatedBy = actor,
        };

        var ownTransaction = db.Database.CurrentTransaction is null;
        var transaction = ownTransaction ? await db.Database.BeginTransactionAsync(ct) : null;
        try
        {
            // 1. Retire exactly the credential the caller saw as current, or find that it is no longer current.
            var keep = Guid.Empty;
            if (replacing is { } expected)
            {
                var current = db.ScimCredentials.Where(c => c.Id == expected && c.WorkspaceId == workspaceId && c.CurrentWorkspaceId == workspaceId);
                var retired = gracePeriod is { } grace && grace > TimeSpan.Zero
                    ? await current.ExecuteUpdateAsync(s => s.SetProperty(c => c.CurrentWorkspaceId, (Guid?)null).SetProperty(c => c.ExpiresAt, now + grace), ct)
                    : await current.ExecuteDeleteAsync(ct);
                if (retired == 0)
                {
                    throw new ScimTokenConflictException();
                }

                keep = expected;
            }
            else if (await db.ScimCredentials.AnyAsync(c => c.CurrentWorkspaceId == workspaceId, ct))
            {
                throw new ScimTokenConflictException();
            }

            // 2. Only the token just retired keeps a grace period; earlier replaced tokens go now.
            await db.ScimCredentials.Where(c => c.WorkspaceId == workspaceId && c.CurrentWorkspaceId == null && c.Id != keep).ExecuteDeleteAsync(ct);

            // 3. The new current token (and the caller's audit row). The unique index refuses a second current one.
            db.ScimCredentials.Add(credential);
            await db.SaveChangesAsync(ct);
            if (transaction is not null)
            {
                await transaction.CommitAsync(ct);
            }
        }
        catch (DbUpdateException ex) when (transaction is not null)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            if (await db.ScimCredentials.AnyAsync(c => c.CurrentWorkspaceId == workspaceId && c.Id != credential.Id, CancellationToken.None))
            {
                throw new ScimTokenConflictException(ex);
            }

            throw;
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }
        }

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

/// <summary>
/// A token regeneration lost a race: the credential the caller saw as current was replaced (by another admin or
/// tab) before its regeneration ran. Nothing was changed by the losing call.
/// </summary>
public sealed class ScimTokenConflictException : InvalidOperationException
{
    public const string DefaultMessage = "The SCIM token was regenerated by someone else in the meantime; nothing was changed.";

    public ScimTokenConflictException() : base(DefaultMessage)
    {
    }

    public ScimTokenConflictException(string message) : base(message)
    {
    }

    public ScimTokenConflictException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public ScimTokenConflictException(Exception innerException) : base(DefaultMessage, innerException)
    {
    }
}
