using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Security;

/// <summary>
/// Identity's user manager, except that removing a role also renews the security stamp. The stock manager does not
/// (only password, 2FA, login and email changes do), so an open Blazor circuit would keep a removed role until the
/// next sign-in; with a new stamp, the circuit's revalidation (Portal:RevalidationMinutes) signs it out.
/// </summary>
public sealed class PortalUserManager(
    IUserStore<PortalUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<PortalUser> passwordHasher,
    IEnumerable<IUserValidator<PortalUser>> userValidators,
    IEnumerable<IPasswordValidator<PortalUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<PortalUser>> logger)
    : UserManager<PortalUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    public override async Task<IdentityResult> RemoveFromRoleAsync(PortalUser user, string role)
    {
        var result = await base.RemoveFromRoleAsync(user, role);
        return result.Succeeded ? await UpdateSecurityStampAsync(user) : result;
    }

    public override async Task<IdentityResult> RemoveFromRolesAsync(PortalUser user, IEnumerable<string> roles)
    {
        var result = await base.RemoveFromRolesAsync(user, roles);
        return result.Succeeded ? await UpdateSecurityStampAsync(user) : result;
    }
}
