// The login of the local end-to-end test image that scripts/build-test-image.sh builds: Tempest's
// validation and the image's own test log in as this user with the instance's key, and become
// root with `sudo`.

/** The image's one login user (uid 1000, shell /bin/sh; `sudo` makes it root). */
export const TEST_IMAGE_USER = 'ooa';
