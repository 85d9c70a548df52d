using System.Globalization;
using System.Security.Claims;

using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Security;

/// <summary>Settings for <see cref="RecentSignIn"/>.</summary>
public sealed class RecentSignInOptions
{
    /// <summary><c>Portal:RecentSignInMinutes</c>: how old a sign-in may be for revealing, copying or regenerating a SCIM token.</summary>
    public int RecentSignInMinutes { get; set; } = 15;
}

/// <summary>Thrown when an action needs a fresh sign-in; the portal asks for it in the re-sign-in dialog (<see cref="Reauthentication"/>).</summary>
public sealed class ReauthenticationRequiredException() : Exception("This action requires a recent sign-in.");

/// <summary>
/// "Sudo mode" for sensitive actions. At every interactive sign-in an <see cref="AuthTimeClaim"/> (the moment of
/// the sign-in, from <see cref="TimeProvider"/>) is added to the cookie principal; security-stamp refreshes and
/// sliding renewals carry it over unchanged, so it is the time the password (or passkey) was last presented.
/// Actions call <see cref="Require"/> on the server before touching the secret.
/// </summary>
public sealed class RecentSignIn(TimeProvider time, IOptions<RecentSignInOptions> options)
{
    /// <summary>OIDC's name for the time of authentication (seconds since the Unix epoch).</summary>
    public const string AuthTimeClaim = "auth_time";

    public TimeSpan Window => TimeSpan.FromMinutes(Math.Max(0, options.Value.RecentSignInMinutes));

    /// <summary>When the principal last signed in interactively, if known.</summary>
    public static DateTimeOffset? SignedInAt(ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirstValue(AuthTimeClaim), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    /// <summary>True when the principal signed in within the configured window.</summary>
    public bool IsRecent(ClaimsPrincipal principal) =>
        SignedInAt(principal) is { } at && time.GetUtcNow() - at <= Window;

    /// <summary>Throws <see cref="ReauthenticationRequiredException"/> unless <see cref="IsRecent"/>.</summary>
    public void Require(ClaimsPrincipal principal)
    {
        if (!IsRecent(principal))
        {
            throw new ReauthenticationRequiredException();
        }
    }
}

public static class RecentSignInSetup
{
    /// <summary>Registers <see cref="RecentSignIn"/> and stamps <see cref="RecentSignIn.AuthTimeClaim"/> on the Identity cookie.</summary>
    public static WebApplicationBuilder AddRecentSignIn(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<RecentSignInOptions>(builder.Configuration.GetSection("Portal"));
        builder.Services.AddSingleton<RecentSignIn>();
        builder.Services.AddScoped<Reauthentication>();

        // PostConfigure wraps whatever handlers other features configured, instead of replacing them.
        builder.Services.PostConfigure<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme, cookie =>
        {
            var previous = cookie.Events.OnSigningIn;
            cookie.Events.OnSigningIn = async context =>
            {
                if (context.Principal?.Identity is ClaimsIdentity identity && !identity.HasClaim(c => c.Type == RecentSignIn.AuthTimeClaim))
                {
                    var now = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
                    identity.AddClaim(new Claim(RecentSignIn.AuthTimeClaim, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
                }

                await previous(context);
            };
        });

        // The security-stamp validator rebuilds the principal from the database; keep the original sign-in time.
        builder.Services.PostConfigure<SecurityStampValidatorOptions>(stamp =>
        {
            var previous = stamp.OnRefreshingPrincipal;
            stamp.OnRefreshingPrincipal = async context =>
            {
                var authTime = context.CurrentPrincipal?.FindFirst(RecentSignIn.AuthTimeClaim);
                if (authTime is not null && context.NewPrincipal?.Identity is ClaimsIdentity identity && !identity.HasClaim(c => c.Type == RecentSignIn.AuthTimeClaim))
                {
                    identity.AddClaim(new Claim(RecentSignIn.AuthTimeClaim, authTime.Value, ClaimValueTypes.Integer64));
                }

                if (previous is not null)
                {
                    await previous(context);
                }
            };
        });
        return builder;
    }
}
