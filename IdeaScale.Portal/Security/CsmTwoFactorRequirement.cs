using System.Security.Claims;

using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Security;

/// <summary>Part of the CustomerSuccess policy: the account has enrolled an authenticator app (when required).</summary>
public sealed class CsmTwoFactorRequirement : IAuthorizationRequirement
{
    /// <summary>Where an account that fails only this requirement is sent.</summary>
    public const string EnrolmentPath = "/Account/Manage/EnableAuthenticator";
}

/// <summary>
/// Checks <see cref="CsmTwoFactorRequirement"/> against the database (not the cookie), so enrolling takes effect on
/// the next request. Off when Portal:RequireCsmTwoFactor resolves to false.
/// </summary>
public sealed class CsmTwoFactorHandler(
    IDbContextFactory<PortalDbContext> dbFactory,
    IOptions<AccountSecurityOptions> options,
    IHostEnvironment environment) : AuthorizationHandler<CsmTwoFactorRequirement>
{
    public bool Required => options.Value.RequireCsmTwoFactor ?? !environment.IsDevelopment();

    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, CsmTwoFactorRequirement requirement)
    {
        if (!Required)
        {
            context.Succeed(requirement);
            return;
        }

        var userId = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is null)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        if (await db.Users.AnyAsync(u => u.Id == userId && u.TwoFactorEnabled))
        {
            context.Succeed(requirement);
        }
    }
}

/// <summary>
/// Sends a signed-in account that fails only the 2FA requirement to the authenticator enrolment page instead of
/// "access denied"; every other outcome is the default behaviour.
/// </summary>
public sealed class TwoFactorEnrolmentResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler fallback = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden
            && authorizeResult.AuthorizationFailure is { FailCalled: false } failure
            && failure.FailedRequirements.Any()
            && failure.FailedRequirements.All(r => r is CsmTwoFactorRequirement))
        {
            context.Response.Redirect(context.Request.PathBase + CsmTwoFactorRequirement.EnrolmentPath);
            return Task.CompletedTask;
        }

        return fallback.HandleAsync(next, context, policy, authorizeResult);
    }
}
