using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Security;

/// <summary>
/// Identity's sign-in manager with two gaps closed:
/// <list type="bullet">
/// <item>An unknown account name costs the same password hash as a known one, so the answer time does not tell which
/// e-mail addresses have accounts (the stock manager returns at once when no user has the name).</item>
/// <item>A wrong recovery code counts towards lockout and a locked-out account cannot redeem one (the stock manager
/// does neither: "codes are expected to be random", but eight-character codes are guessable without a limit).</item>
/// </list>
/// </summary>
public sealed class PortalSignInManager(
    UserManager<PortalUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<PortalUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<PortalUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<PortalUser> confirmation)
    : SignInManager<PortalUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    /// <summary>Stands in for the missing account: its hash is verified against the typed password and always fails.</summary>
    private static readonly PortalUser NoAccount = new() { UserName = "no-account", DisplayName = "" };

    private static string? noAccountHash;

    public override async Task<SignInResult> PasswordSignInAsync(string userName, string password, bool isPersistent, bool lockoutOnFailure)
    {
        var user = await UserManager.FindByNameAsync(userName);
        if (user is null)
        {
            // The same work as checking a real account's password (one hash of the configured strength).
            var hasher = UserManager.PasswordHasher;
            noAccountHash ??= hasher.HashPassword(NoAccount, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));
            hasher.VerifyHashedPassword(NoAccount, noAccountHash, password);
            return SignInResult.Failed;
        }

        return await PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure);
    }

    public override async Task<SignInResult> TwoFactorRecoveryCodeSignInAsync(string recoveryCode)
    {
        var user = await GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return SignInResult.Failed;
        }

        if (await IsLockedOut(user))
        {
            return await LockedOut(user);
        }

        var result = await base.TwoFactorRecoveryCodeSignInAsync(recoveryCode);
        if (result.Succeeded || !UserManager.SupportsUserLockout)
        {
            return result;
        }

        await UserManager.AccessFailedAsync(user);
        return await UserManager.IsLockedOutAsync(user) ? await LockedOut(user) : result;
    }
}
