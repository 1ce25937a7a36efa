/** Per test file: the Temporal SDK logs errors only, so test output stays readable. */
import { installSdkLogging } from '../../workers/worker';

installSdkLogging('error');
