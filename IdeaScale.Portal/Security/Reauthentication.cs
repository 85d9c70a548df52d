using System.Security.Claims;

using Microsoft.AspNetCore.Identity;

namespace IdeaScale.Portal.Security;

/// <summary>What a re-sign-in attempt came to.</summary>
public enum ReauthenticationOutcome
{
    Confirmed,
    WrongPassword,

    /// <summary>The account has two-factor authentication and no code was given.</summary>
    CodeRequired,
    WrongCode,
    LockedOut,

    /// <summary>The account cannot sign in at all (deleted, not allowed).</summary>
    NotAllowed,
}

/// <summary>
/// "Sudo mode" inside a Blazor circuit: the re-sign-in dialog of the SCIM page confirms the password (and the
/// authenticator code when the account has two-factor authentication) on the server, with Identity's own checks and
/// lockout counting, and records the confirmation for this circuit only. A circuit cannot write the sign-in cookie,
/// so the confirmation lives in this scoped (per-circuit) service: it unlocks the sensitive actions of this browser
/// tab for <see cref="RecentSignIn.Window"/>, never another session, and ends with the circuit.
/// Each check runs Identity in a scope of its own: the circuit's scoped DbContext is shared by every component of the
/// page, and a check that overlapped another component's query (or the dialog's own <see cref="NeedsCodeAsync"/>)
/// failed with EF's "a second operation was started on this context".
/// </summary>
public sealed partial class Reauthentication(
    RecentSignIn recent,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<Reauthentication> logger)
{
    private string? confirmedUserId;
    private DateTimeOffset confirmedAt;

    /// <summary>True when the cookie's sign-in, or a confirmation in this circuit by the same account, is recent.</summary>
    public bool IsRecent(ClaimsPrincipal user) =>
        recent.IsRecent(user)
        || (confirmedUserId is not null
            && confirmedUserId == user.FindFirstValue(ClaimTypes.NameIdentifier)
            && time.GetUtcNow() - confirmedAt <= recent.Window);

    /// <summary>Throws <see cref="ReauthenticationRequiredException"/> unless <see cref="IsRecent"/>.</summary>
    public void Require(ClaimsPrincipal user)
    {
        if (!IsRecent(user))
        {
            throw new ReauthenticationRequiredException();
        }
    }

    /// <summary>Whether the dialog must ask for an authenticator code as well.</summary>
    public async Task<bool> NeedsCodeAsync(ClaimsPrincipal user)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        return await users.GetUserAsync(user) is { } account && await users.GetTwoFactorEnabledAsync(account);
    }

    /// <summary>
    /// Checks the password with Identity's <see cref="UserManager{TUser}"/> (a failure counts towards lockout, a
    /// locked-out account is refused), then the authenticator code when the account has two-factor authentication (a
    /// wrong code counts towards lockout too). Nothing typed is logged. Not SignInManager.CheckPasswordSignInAsync: for
    /// an account with two-factor authentication it reads the "remember this browser" cookie from the HttpContext,
    /// and in a circuit that is the first request's, long answered (it threw, and the circuit died).
    /// </summary>
    public async Task<ReauthenticationOutcome> ConfirmAsync(ClaimsPrincipal user, string password, string? code)
    {
        await using var scope = scopes.CreateAsyncScope();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<PortalUser>>();
        var users = signIn.UserManager;
        var account = await users.GetUserAsync(user);
        if (account is null || !await signIn.CanSignInAsync(account))
        {
            return ReauthenticationOutcome.NotAllowed;
        }

        if (await users.IsLockedOutAsync(account))
        {
            LogRefused(logger, account.Id, "locked out");
            return ReauthenticationOutcome.LockedOut;
        }

        if (!await users.CheckPasswordAsync(account, password ?? ""))
        {
            await users.AccessFailedAsync(account);
            if (await users.IsLockedOutAsync(account))
            {
                LogRefused(logger, account.Id, "locked out");
                return ReauthenticationOutcome.LockedOut;
            }

            LogRefused(logger, account.Id, "wrong password");
            return ReauthenticationOutcome.WrongPassword;
        }

        if (await users.GetTwoFactorEnabledAsync(account))
        {
            var digits = string.Concat((code ?? "").Where(char.IsAsciiDigit));
            if (digits.Length == 0)
            {
                return ReauthenticationOutcome.CodeRequired;
            }

            if (!await users.VerifyTwoFactorTokenAsync(account, users.Options.Tokens.AuthenticatorTokenProvider, digits))
            {
                await users.AccessFailedAsync(account);
                LogRefused(logger, account.Id, "wrong authenticator code");
                return await users.IsLockedOutAsync(account) ? ReauthenticationOutcome.LockedOut : ReauthenticationOutcome.WrongCode;
            }
        }

        await users.ResetAccessFailedCountAsync(account);

        confirmedUserId = account.Id;
        confirmedAt = time.GetUtcNow();
        LogConfirmed(logger, account.Id);
        return ReauthenticationOutcome.Confirmed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {UserId} confirmed its sign-in for a sensitive action.")]
    private static partial void LogConfirmed(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-sign-in of account {UserId} refused: {Reason}.")]
    private static partial void LogRefused(ILogger logger, string userId, string reason);
}
