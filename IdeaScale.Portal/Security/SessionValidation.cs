using System.Security.Claims;

using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Security;

/// <summary>
/// Makes the sign-in cookie only as good as the account's current security stamp, on every request. Identity
/// renews the stamp when the password changes, two-factor authentication is reset or switched off, a role is removed
/// (<see cref="PortalUserManager"/>), and, in this app, at sign-out (<see cref="SignOutEverywhereAsync"/>); a cookie
/// issued before any of these is refused at every request and the browser is sent to the sign-in page.
/// </summary>
/// <remarks>
/// Identity's own <see cref="SecurityStampValidator"/> checks only every 30 minutes, because each check rebuilds the
/// principal (user, roles and claims: several queries) and re-issues the cookie. This check costs one primary-key
/// read of one column per authenticated request (static assets are fingerprinted and cached by the browser, and a
/// Blazor circuit authenticates once, so that is about one read per page load); Identity's validator still runs
/// behind it to refresh roles and claims.
/// </remarks>
public static class SessionValidation
{
    public static IServiceCollection AddSessionValidation(this IServiceCollection services)
    {
        // PostConfigure wraps the handler Identity installed (its SecurityStampValidator) instead of replacing it.
        services.PostConfigure<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme, cookie =>
        {
            var previous = cookie.Events.OnValidatePrincipal;
            cookie.Events.OnValidatePrincipal = async context =>
            {
                if (!await StampIsCurrentAsync(context.HttpContext, context.Principal))
                {
                    // Refused, and the cookie is left alone: the browser may already hold a newer one. A request sent
                    // with the old cookie just before this browser renewed the stamp (enabling two-factor
                    // authentication re-issues the cookie) can be answered after the new cookie arrived, and
                    // removing "the" cookie in that answer would sign out the very browser that made the change.
                    // The old cookie opens nothing, at every request; sign-out removes this browser's cookie itself.
                    context.RejectPrincipal();
                    return;
                }

                await previous(context);
            };
        });
        return services;
    }

    /// <summary>
    /// Ends every session of the signed-in account (this cookie and any copy of it, in any browser) by renewing its
    /// security stamp, then removes this browser's cookie.
    /// </summary>
    public static async Task SignOutEverywhereAsync(SignInManager<PortalUser> signInManager, ClaimsPrincipal principal)
    {
        if (await signInManager.UserManager.GetUserAsync(principal) is { } user)
        {
            await signInManager.UserManager.UpdateSecurityStampAsync(user);
        }

        await signInManager.SignOutAsync();
    }

    private static async Task<bool> StampIsCurrentAsync(HttpContext http, ClaimsPrincipal? principal)
    {
        if (principal is null)
        {
            return false;
        }

        var claims = http.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity;
        var userId = principal.FindFirstValue(claims.UserIdClaimType);
        var stamp = principal.FindFirstValue(claims.SecurityStampClaimType);
        if (userId is null || stamp is null)
        {
            return false;
        }

        await using var db = await http.RequestServices.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(http.RequestAborted);
        var current = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.SecurityStamp).FirstOrDefaultAsync(http.RequestAborted);
        return current is not null && string.Equals(current, stamp, StringComparison.Ordinal);
    }
}
